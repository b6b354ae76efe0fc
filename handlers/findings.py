"""Findings: small, JSON-able facts about a file that never contain its content."""

from __future__ import annotations

from dataclasses import dataclass

#: The detected type disagrees with the type implied by the name or declared by the sender.
CONTENT_TYPE_MISMATCH = "content_type_mismatch"
#: The bytes are valid as more than one format (e.g. a PDF with a ZIP appended).
POLYGLOT = "polyglot"
#: Zero bytes.
EMPTY_FILE = "empty_file"

FINDING_CODES = frozenset({CONTENT_TYPE_MISMATCH, POLYGLOT, EMPTY_FILE})


@dataclass(frozen=True, slots=True)
class Finding:
    """One observation. ``code`` is stable; ``reason`` is a stable sub-code; ``message`` is
    for people. None of them ever holds bytes or text from the file (hostile input)."""

    code: str
    reason: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "reason": self.reason, "message": self.message}
