"""The façade the service calls: text (+ metadata) and a profile in, a classification out."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from classifiers.findings import Finding
from classifiers.floor import Floor, floor_for
from classifiers.normalize import NormalizedText
from classifiers.recognizer import Recognizer, ValueTagger
from classifiers.registry import DEFAULT_RECOGNIZERS
from core.errors import LimitExceeded
from core.profiles import Profile

# Text plus metadata values, in characters. The offset map costs 8 bytes per character of
# non-normalised text; above this we refuse rather than classify part of a document (a
# partial classification could miss the one marking that matters: fail closed).
MAX_CLASSIFY_CHARS = 10_000_000


@dataclass(frozen=True)
class Classification:
    profile: Profile
    findings: tuple[Finding, ...]
    floor: Floor

    @property
    def within_ceiling(self) -> bool:
        return self.profile.within_ceiling(self.floor.label)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able. ``floor`` is a plain label dict (``Label.from_dict`` reads it back)."""
        return {
            "profile": self.profile.id,
            "floor": self.floor.label.to_dict(),
            "floor_display": self.profile.display(self.floor.label),
            "within_ceiling": self.within_ceiling,
            "reasons": [r.to_dict() for r in self.floor.reasons],
            "unmapped": list(self.floor.unmapped),
            "counts": dict(sorted(Counter(f.rule_key for f in self.findings).items())),
            "findings": [f.to_dict() for f in self.findings],
        }


def _analyze(
    text: str, source: str, recognizers: Sequence[Recognizer], tagger: ValueTagger
) -> list[Finding]:
    normalized = NormalizedText.of(text)
    found: list[Finding] = []
    for recognizer in recognizers:
        found.extend(recognizer.analyze(normalized, tagger))
    if source != "text":
        found = [dataclasses.replace(f, source=source) for f in found]
    return sorted(found, key=lambda f: (f.start, f.end, f.rule_key))


def classify_text(
    text: str,
    profile: Profile,
    *,
    metadata: Mapping[str, str] | None = None,
    recognizers: Sequence[Recognizer] = DEFAULT_RECOGNIZERS,
) -> Classification:
    """Run every recognizer on ``text`` and on each ``metadata`` value (title, custom
    properties... where LBL-01 says a classification may be written), then derive the floor.

    Metadata findings carry ``source="metadata:<key>"`` and offsets into that value.
    """
    metadata = metadata or {}
    total = len(text) + sum(len(v) for v in metadata.values())
    if total > MAX_CLASSIFY_CHARS:
        raise LimitExceeded(f"text too long to classify ({total} > {MAX_CLASSIFY_CHARS} chars)")
    tagger = ValueTagger()  # one key per call: tags group values here, link nothing elsewhere
    findings = _analyze(text, "text", recognizers, tagger)
    for key in sorted(metadata):
        findings.extend(_analyze(metadata[key], f"metadata:{key}", recognizers, tagger))
    return Classification(profile, tuple(findings), floor_for(findings, profile))
