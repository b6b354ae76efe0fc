"""Runs presidio recognizers over one NFKC text and turns their results into findings.

Why not presidio's ``AnalyzerEngine``: it always runs an NLP engine over the whole text
(Sudachi refuses > 49,149 bytes, and GiNZA runs at ~5 KB/s), and its context enhancer
compares lemmas, which never works for Japanese (presidio #2216). So this module does the
orchestration presidio's engine would: recognizers from an explicit list, our CJK context
window (classifiers.base), offsets mapped from the prefilter view and from NFKC back to the
original, the value replaced by its keyed hash, and duplicates resolved.

Nothing here logs or raises with a matched value in it: logs carry counts and names only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from classifiers._presidio import LANGUAGE, EntityRecognizer, RecognizerResult
from classifiers.base import Context, Triggers
from classifiers.findings import CLASSIFICATION_MARKING, Finding
from classifiers.hashing import TextHasher
from classifiers.markings import MARKING_KEY, MARKING_TEXT_KEY
from classifiers.normalize import NormalizedText
from classifiers.prefilter import Cluster, Prefilter, View, numeric_clusters, view

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Traits:
    """What the engine needs to know about a recognizer (defaults for plain presidio ones)."""

    triggers: Triggers | None
    context: Context
    min_score: float
    personal: bool

    @classmethod
    def of(cls, recognizer: EntityRecognizer) -> Traits:
        context = getattr(recognizer, "CONTEXT", None)
        if not isinstance(context, Context):
            context = Context(tuple(w.lower() for w in recognizer.context or ()))
        triggers = getattr(recognizer, "TRIGGERS", None)
        return cls(
            triggers if isinstance(triggers, Triggers) else None,
            context,
            float(getattr(recognizer, "REPORT_THRESHOLD", 0.0)),
            bool(getattr(recognizer, "PERSONAL", True)),
        )


def _window_start(text: str, start: int, before: int) -> int:
    """Where the context window before ``start`` begins: ``before`` characters back, but not
    past the start of the line, unless the match opens its line (a label on the line above:
    "個人番号：\n1234..."): in "個人番号：…\n運転免許証番号：…" each number sees its own label."""
    line = text.rfind("\n", 0, start) + 1
    if start - before >= line:
        return start - before  # the usual case: the whole window is on the match's line
    if text[line:start].strip():
        return line
    previous = text.rfind("\n", 0, max(0, line - 1)) + 1
    return max(start - before, previous)


def context_score(text: str, start: int, end: int, score: float, context: Context) -> float:
    """``score`` raised by ``context.boost`` when a context word is in the window around the
    match: ``before`` characters before it (on its line), ``after`` after (CJK-safe substring
    test)."""
    if not context.words or context.boost <= 0:
        return score
    before = text[_window_start(text, start, context.before) : start]
    window = (before + "\x00" + text[end : end + context.after]).lower()
    for word in context.words:
        if word in window:
            return round(min(1.0, score + context.boost), 6)
    return score


# Pattern recognizers run without NLP artifacts (NER runs separately, classifiers.ner).
_NO_ARTIFACTS: Any = None


def recognizer_name(recognizer: EntityRecognizer) -> str:
    return str(getattr(recognizer, "name", type(recognizer).__name__))


def _canonical_of(recognizer: EntityRecognizer) -> Callable[[str], object]:
    """How ``recognizer`` spells a value before it is hashed (default: no white space)."""
    canonical = getattr(recognizer, "canonical", None)
    return canonical if callable(canonical) else _without_space


def _without_space(value: str) -> str:
    return "".join(value.split())


@dataclass
class Analysis:
    """One text (the document body or one metadata value) being analysed."""

    normalized: NormalizedText
    hasher: TextHasher
    source: str = "text"

    def findings(self, recognizer: EntityRecognizer, results: Iterable[RecognizerResult],
                 shown: View | None = None) -> list[Finding]:
        """Findings from ``results`` (offsets in ``shown`` or, if None, the NFKC text).

        Runs once per match (tens of thousands per document), so what does not depend on the
        match is looked up once, before the loop."""
        traits = Traits.of(recognizer)
        to_full = shown.to_full if shown is not None and shown.compacted else None
        context = traits.context if traits.context.words and traits.context.boost > 0 else None
        make = _FindingMaker(self.normalized, self.hasher if traits.personal else None,
                             recognizer_name(recognizer), _canonical_of(recognizer), self.source)
        text = self.normalized.text
        out = []
        for result in results:
            start, end = result.start, result.end
            if to_full is not None:
                start, end = to_full(start, end)
            if end <= start:
                continue
            score = float(result.score)
            if context is not None:
                score = context_score(text, start, end, score, context)
            if score >= traits.min_score:
                out.append(make(result, start, end, score))
        return out


@dataclass(frozen=True)
class _FindingMaker:
    """Turns one recognizer's results into findings: original offsets, the value hashed."""

    normalized: NormalizedText
    hasher: TextHasher | None  # None: not personal data, nothing to hash
    recognizer: str
    canonical: Callable[[str], object]
    source: str

    def __call__(self, result: RecognizerResult, start: int, end: int, score: float) -> Finding:
        o_start, o_end = self.normalized.original_span(start, end)
        marking = marking_text = text_hash = None
        if result.entity_type == CLASSIFICATION_MARKING:
            meta = result.recognition_metadata or {}
            marking = meta.get(MARKING_KEY)
            marking_text = meta.get(MARKING_TEXT_KEY) if marking else None
        if self.hasher is not None and marking is None:
            text_hash = self.hasher(str(self.canonical(self.normalized.text[start:end])))
        return Finding(result.entity_type, o_start, o_end, score, self.recognizer, marking,
                       marking_text, text_hash, self.source)


def run_recognizers(analysis: Analysis, recognizers: Sequence[EntityRecognizer]) -> list[Finding]:
    """Every Japanese recognizer over its prefilter view (the whole text when it declares no
    triggers; recognizers with equal triggers share one); other languages are skipped."""
    text = analysis.normalized.text
    views: dict[Triggers | None, View] = {None: View(text)}
    clusters: list[Cluster] | None = None
    findings: list[Finding] = []
    for recognizer in recognizers:
        if recognizer.supported_language != LANGUAGE:
            continue
        triggers = Traits.of(recognizer).triggers
        if triggers not in views and triggers is not None:
            if triggers.numeric and clusters is None:
                clusters = numeric_clusters(text)
            views[triggers] = view(text, Prefilter.of(triggers), clusters)
        seen = views[triggers]
        results = recognizer.analyze(seen.text, recognizer.supported_entities, _NO_ARTIFACTS)
        found = analysis.findings(recognizer, results, seen)
        log.debug("%s: %d findings", recognizer_name(recognizer), len(found))
        findings.extend(found)
    return findings


# Identifiers made of digits: one inside a longer one is a piece of it (the 12 digits at the
# head of a 16-digit card, the 478-6375 of (076)478-6375), not a second identifier.
NUMERIC_TYPES = frozenset({
    "JP_MY_NUMBER", "JP_CORPORATE_NUMBER", "CREDIT_CARD", "JP_DRIVER_LICENSE", "JP_BANK_ACCOUNT",
    "PHONE_NUMBER", "JP_POSTAL_CODE", "JP_PASSPORT", "JP_RESIDENCE_CARD",
})


def resolve(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per entity occurrence, ordered: the text's first, then each metadata
    value's, each by position.

    - Same entity type, one span inside another (context rule and NER both found a name):
      keep the outer one, with the higher score of the two.
    - Different entity types on the same span (12 digits valid as both My Number and driver's
      licence): keep the higher score; on a tie keep both (both floors then apply).
    - A numeric identifier strictly inside a longer one is dropped.
    Markings are left alone (their recognizer already keeps one per occurrence and id).
    """
    by_source: dict[str, list[Finding]] = {}
    for f in findings:
        by_source.setdefault(f.source, []).append(f)
    out: list[Finding] = []
    for source in sorted(by_source, key=lambda s: (s != "text", s)):
        out.extend(_resolve_source(by_source[source]))
    return out


def _resolve_source(findings: list[Finding]) -> list[Finding]:
    """``resolve`` for the findings of one source (offsets into one text)."""
    markings: list[Finding] = []
    by_type: dict[str, list[Finding]] = {}
    for f in findings:
        if f.entity_type == CLASSIFICATION_MARKING:
            markings.append(f)
        else:
            by_type.setdefault(f.entity_type, []).append(f)
    kept = [f for same_type in by_type.values() for f in _outermost(same_type)]
    kept = _best_per_span(_drop_numbers_inside_numbers(kept))
    kept.extend(markings)
    # No two findings tie on this key: equal spans of one type were merged above.
    kept.sort(key=lambda f: (f.start, f.end, f.marking or f.entity_type))
    return kept


def _outermost(findings: list[Finding]) -> list[Finding]:
    """Findings of one type, without those inside the previous one kept (which takes the
    higher score)."""
    findings = sorted(findings, key=lambda f: (f.start, -f.end, -f.score))
    kept: list[Finding] = []
    for f in findings:
        last = kept[-1] if kept else None
        if last is None or f.end > last.end:
            kept.append(f)
        elif f.score > last.score:
            kept[-1] = Finding(last.entity_type, last.start, last.end, f.score,
                               last.recognizer, text_hash=last.text_hash, source=last.source)
    return kept


def _drop_numbers_inside_numbers(findings: list[Finding]) -> list[Finding]:
    numeric = sorted((f for f in findings if f.entity_type in NUMERIC_TYPES),
                     key=lambda f: (f.start, -f.end))
    inside: set[int] = set()
    reach = -1
    for f in numeric:
        if f.end <= reach:
            inside.add(id(f))
        reach = max(reach, f.end)
    if not inside:
        return findings
    # Equal spans are not "inside": the score rule below decides between them.
    spans = {(f.start, f.end) for f in numeric if id(f) not in inside}
    return [f for f in findings if id(f) not in inside or (f.start, f.end) in spans]


def _best_per_span(findings: list[Finding]) -> list[Finding]:
    """Of the findings on one span, those with the highest score."""
    best: dict[tuple[int, int], float] = {}
    for f in findings:
        span = (f.start, f.end)
        if f.score > best.get(span, -1.0):
            best[span] = f.score
    return [f for f in findings if f.score >= best[(f.start, f.end)]]
