"""Running recognizers through the engine exactly as classify_text does."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from classifiers._presidio import EntityRecognizer
from classifiers.engine import Analysis, resolve, run_recognizers
from classifiers.findings import Finding
from classifiers.hashing import TextHasher
from classifiers.normalize import NormalizedText

Find = Callable[[str], list[Finding]]


def run(recognizers: Sequence[EntityRecognizer], text: str) -> list[Finding]:
    """Findings of ``recognizers`` on ``text`` (prefilter, context, offsets back to ``text``,
    dedupe)."""
    analysis = Analysis(NormalizedText.of(text), TextHasher())
    return resolve(run_recognizers(analysis, recognizers))


def finder(*recognizers: EntityRecognizer) -> Find:
    return lambda text: run(recognizers, text)


def spans(found: list[Finding], text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in found]
