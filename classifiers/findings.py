"""What a recognizer reports: an entity type at an ORIGINAL-text span, never the value.

The service stores findings; it must not persist plaintext content (design.md "No plaintext
at rest"), so a finding of personal data carries no matched text at all, only a
``text_hash``: a truncated HMAC of the canonical value (classifiers.hashing) under a key that
by default exists only for one classification call, so equal values can be grouped in one
report but no hash can be reversed or linked later (a plain hash of a 12-digit number would
be brute-forced in minutes). Markings are labels, not personal data: they keep their text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CLASSIFICATION_MARKING = "CLASSIFICATION_MARKING"


@dataclass(frozen=True)
class Finding:
    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str
    # Markings only: the canonical id (core.labels.MARKING_IDS) and the normalised marking
    # text ("【秘】", "機密性2(中)情報"): a marking is a label, not personal data.
    marking: str | None = None
    marking_text: str | None = None
    text_hash: str | None = None
    # Where the text came from: "text", or "metadata:<key>" for document properties.
    source: str = "text"

    def __repr__(self) -> str:
        # Explicit, so that adding a field can never put a value into a log line by accident.
        return (f"Finding({self.entity_type}, {self.start}:{self.end}, score={self.score:.2f}, "
                f"recognizer={self.recognizer}, source={self.source})")

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"bad span {self.start}:{self.end}")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score {self.score} outside [0, 1]")
        if (self.marking is None) != (self.entity_type != CLASSIFICATION_MARKING):
            raise ValueError("exactly the CLASSIFICATION_MARKING findings carry a marking id")

    @property
    def rule_key(self) -> str:
        """What a profile keys its floor rule on: the marking id or the entity type."""
        return self.marking or self.entity_type

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "entity_type": self.entity_type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 3),
            "recognizer": self.recognizer,
            "source": self.source,
        }
        if self.marking is not None:
            out["marking"] = self.marking
            out["marking_text"] = self.marking_text
        if self.text_hash is not None:
            out["text_hash"] = self.text_hash
        return out
