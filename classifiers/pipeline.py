"""The façade the service calls: text (+ metadata) and a profile in, a classification out."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from classifiers._presidio import EntityRecognizer
from classifiers.engine import Analysis, resolve, run_recognizers
from classifiers.findings import Finding
from classifiers.floor import Floor, floor_for
from classifiers.hashing import TextHasher
from classifiers.ner import (
    DEFAULT_NER_BUDGET_SECONDS,
    DEFAULT_NER_MAX_CHARS,
    GinzaRecognizer,
    NerModel,
    load_model,
    ner_available,
    run_ner,
)
from classifiers.normalize import NormalizedText
from classifiers.registry import DEFAULT_RECOGNIZERS
from core.errors import LimitExceeded
from core.profiles import Profile

log = logging.getLogger(__name__)

# Text plus metadata values, in characters: above this we refuse rather than classify part
# of a document (a partial classification could miss the one marking that matters).
MAX_CLASSIFY_CHARS = 10_000_000


@dataclass(frozen=True)
class Classification:
    profile: Profile
    findings: tuple[Finding, ...]
    floor: Floor
    ner: bool = False  # whether GiNZA NER ran
    ner_partial: bool = False  # NER did not cover everything (budget, size, failure)

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
            "ner": self.ner,
            "ner_partial": self.ner_partial,
        }


@dataclass
class _NerRun:
    """The NER budget shared by the body and the metadata values of one call."""

    model: NerModel
    deadline: float
    chars_left: int
    partial: bool = False

    def analyze(self, analysis: Analysis) -> list[Finding]:
        text = analysis.normalized.text
        seconds = self.deadline - time.monotonic()
        if seconds <= 0 or self.chars_left <= 0:
            self.partial = self.partial or bool(text)
            return []
        recognizer = GinzaRecognizer()
        outcome = run_ner(text, self.model, seconds=seconds, max_chars=self.chars_left,
                          recognizer=recognizer)
        self.chars_left -= min(len(text), self.chars_left)
        self.partial = self.partial or outcome.partial
        return analysis.findings(recognizer, outcome.results)


def _start_ner(ner: bool | None, seconds: float, max_chars: int) -> tuple[_NerRun | None, bool]:
    """(the NER run, or None; whether NER was wanted but could not start)."""
    wanted = ner_available() if ner is None else ner
    if not wanted:
        return None, False
    if not ner_available():
        raise RuntimeError("NER requested but the 'ner' extra (ginza, ja-ginza) is not installed")
    try:
        model = load_model()
    except Exception as exc:
        log.warning("GiNZA failed to load (%s); classifying without NER", type(exc).__name__)
        return None, True
    return _NerRun(model, time.monotonic() + seconds, max_chars), False


def classify_text(
    text: str,
    profile: Profile,
    *,
    metadata: Mapping[str, str] | None = None,
    recognizers: Sequence[EntityRecognizer] = DEFAULT_RECOGNIZERS,
    ner: bool | None = None,
    ner_budget_seconds: float = DEFAULT_NER_BUDGET_SECONDS,
    ner_max_chars: int = DEFAULT_NER_MAX_CHARS,
    hash_key: bytes | None = None,
) -> Classification:
    """Run every recognizer on ``text`` and on each ``metadata`` value (title, custom
    properties... where LBL-01 says a classification may be written), then derive the floor.

    Pattern recognizers always cover the whole text. GiNZA NER runs when ``ner`` is True, or
    when it is None (the default) and the ``ner`` extra is installed; it covers at most
    ``ner_max_chars`` characters in ``ner_budget_seconds`` seconds, and the result says when
    it covered less (``ner_partial``). ``hash_key`` keys the findings' ``text_hash`` (default:
    a random key for this call only). Metadata findings carry ``source="metadata:<key>"`` and
    offsets into that value.
    """
    metadata = metadata or {}
    total = len(text) + sum(len(v) for v in metadata.values())
    if total > MAX_CLASSIFY_CHARS:
        raise LimitExceeded(f"text too long to classify ({total} > {MAX_CLASSIFY_CHARS} chars)")
    hasher = TextHasher(hash_key)
    ner_run, ner_failed = _start_ner(ner, ner_budget_seconds, ner_max_chars)
    findings: list[Finding] = []
    sources = [("text", text), *((f"metadata:{k}", metadata[k]) for k in sorted(metadata))]
    for source, value in sources:
        analysis = Analysis(NormalizedText.of(value), hasher, source)
        findings.extend(run_recognizers(analysis, recognizers))
        if ner_run is not None:
            findings.extend(ner_run.analyze(analysis))
    resolved = tuple(resolve(findings))
    return Classification(
        profile, resolved, floor_for(resolved, profile),
        ner=ner_run is not None,
        ner_partial=ner_failed or (ner_run is not None and ner_run.partial),
    )
