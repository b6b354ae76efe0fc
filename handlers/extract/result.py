"""What extraction returns: the text and metadata for the classifier, and what was not read.

``Extraction.text`` and the *values* of ``Extraction.metadata`` are document content (author
names are personal data): they go to the classifier and nowhere else. ``to_dict()`` and
``repr()`` therefore carry neither; they are what the processing report stores and what may
appear in logs.

Part names (``parts``, ``Incomplete.part``) are structural: a fixed vocabulary
(``comments``, ``tracked_deletions``, ``hidden_sheet:2``, ``attachment[1]:application/pdf``)
or a container member name that passed ``safe_member_name``. Names chosen by the document's
author (sheet names, attachment file names, arbitrary archive paths) are content and are
replaced by positions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: ``Incomplete.code``: the classifier's ``extraction_incomplete`` finding (issue 3, "What bad
#: input gets": classified on what can be read, and the result states what could not).
EXTRACTION_INCOMPLETE = "extraction_incomplete"

# Reasons (stable sub-codes of EXTRACTION_INCOMPLETE).
#: Encrypted content that needs a password (PDF user password, encrypted OOXML/ODF, zip).
PASSWORD_PROTECTED = "password_protected"  # noqa: S105 - a reason code, not a secret
#: Bytes that no supported encoding decodes; the readable remainder is included, with
#: U+FFFD where bytes could not be decoded.
UNDECODABLE_TEXT = "undecodable_text"
#: An image (or scanned page) whose text needs OCR, and OCR is not installed or not asked for.
OCR_UNAVAILABLE = "ocr_unavailable"
#: tesseract was run but failed on the image.
OCR_FAILED = "ocr_failed"
#: A part in a format without an extractor (legacy Office, an executable attachment…).
UNSUPPORTED_PART = "unsupported_part"
#: A part over a size, depth, count or time limit (see handlers/extract/limits.py).
LIMIT_EXCEEDED = "limit_exceeded"
#: A part that could not be parsed; text read before the damage is kept.
CORRUPT_PART = "corrupt_part"

INCOMPLETE_REASONS = frozenset({
    PASSWORD_PROTECTED, UNDECODABLE_TEXT, OCR_UNAVAILABLE, OCR_FAILED, UNSUPPORTED_PART,
    LIMIT_EXCEEDED, CORRUPT_PART,
})

# Member names echoed into reports: ASCII path segments of letters (with an optional number
# and a known extension), as Office and LibreOffice write them. Anything else may carry
# content (a file name like "山田_給与.xlsx") and is replaced by its position.
_SAFE_MEMBER = re.compile(
    r"(?:[A-Za-z_]{1,40}/){0,4}\[?[A-Za-z_]{1,40}\]?\d{0,5}"
    r"\.(?:xml|rels|bin|png|jpe?g|gif|tiff?|bmp|emf|wmf|webp|svg|xlsx|docx|pptx|pdf)"
)


def safe_member_name(name: str, position: int) -> str:
    """A container member's name if it is structural, otherwise ``member[position]``."""
    if _SAFE_MEMBER.fullmatch(name):
        return name
    return f"member[{position}]"


@dataclass(frozen=True, slots=True)
class Incomplete:
    """One thing that could not be read. Never holds content: ``part`` is a structural name."""

    code: str
    reason: str
    part: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "reason": self.reason, "part": self.part}


def incomplete(reason: str, part: str | None = None) -> Incomplete:
    assert reason in INCOMPLETE_REASONS, reason
    return Incomplete(EXTRACTION_INCOMPLETE, reason, part)


@dataclass(slots=True)
class Extraction:
    """Everything readable in one file, and what was not readable."""

    # repr=False: a stray log line or assertion message must not print document content.
    text: str = field(repr=False)
    metadata: dict[str, str] = field(default_factory=dict, repr=False)
    incomplete: list[Incomplete] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    #: The MIME type the extractor ran for.
    mime: str = ""

    @property
    def complete(self) -> bool:
        return not self.incomplete

    def to_dict(self) -> dict[str, object]:
        """JSON-able report: metadata *keys* only, no text, no metadata values."""
        return {
            "mime": self.mime,
            "characters": len(self.text),
            "metadata_keys": sorted(self.metadata),
            "parts": list(self.parts),
            "incomplete": [item.to_dict() for item in self.incomplete],
            "complete": self.complete,
        }
