"""Scoring findings against gold spans.

A finding matches a gold span when both have the same entity type and they overlap by at
least half of the gold span's length (a finding may be longer: "〒123-4567" matches the gold
"123-4567"). Matching is one-to-one, greedy in document order, preferring the unmatched gold
span with the largest overlap:

- TP: a gold span matched by a finding;
- FN: a gold span matched by none (including gold lost by text extraction);
- FP: a finding that matches no gold span of its type at all;
- duplicate: a finding whose only matching gold spans were already matched (a second report
  of the same entity): neither TP nor FP, counted separately.

A decoy counts as *reported* when a finding of any evaluated type overlaps at least half of it.
Findings of types outside ``entity_types`` are not scored; they are counted per type.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

MIN_GOLD_OVERLAP = 0.5


class FindingLike(Protocol):
    @property
    def entity_type(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


class SpanLike(Protocol):
    @property
    def entity_type(self) -> str | None: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


def overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def covers(finding: FindingLike, span: SpanLike) -> bool:
    """The finding overlaps at least MIN_GOLD_OVERLAP of the span (types not compared)."""
    length = span.end - span.start
    return overlap(finding.start, finding.end, span.start, span.end) >= MIN_GOLD_OVERLAP * length


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    duplicates: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.duplicates += other.duplicates

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        if self.tp + self.fp + self.fn == 0:
            return None
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)


@dataclass
class DocScore:
    counts: dict[str, Counts] = field(default_factory=dict)
    matched_gold: list[int] = field(default_factory=list)  # indexes into the gold sequence
    missed_gold: list[int] = field(default_factory=list)
    false_positives: list[int] = field(default_factory=list)  # indexes into the findings
    reported_decoys: list[int] = field(default_factory=list)  # indexes into the decoys
    other_types: Counter[str] = field(default_factory=Counter)


def score_document(
    findings: Sequence[FindingLike],
    gold: Sequence[SpanLike],
    decoys: Sequence[SpanLike] = (),
    *,
    entity_types: Iterable[str],
    lost_gold: Sequence[SpanLike] = (),
) -> DocScore:
    types = set(entity_types)
    score = DocScore(counts={t: Counts() for t in sorted(types)})
    scored = [(i, f) for i, f in enumerate(findings) if f.entity_type in types]
    score.other_types.update(f.entity_type for f in findings if f.entity_type not in types)
    matched: set[int] = set()
    for i, finding in sorted(scored, key=lambda item: (item[1].start, item[1].end)):
        counts = score.counts[finding.entity_type]
        candidates = [j for j, g in enumerate(gold)
                      if g.entity_type == finding.entity_type and covers(finding, g)]
        free = [j for j in candidates if j not in matched]
        if free:
            best = max(free, key=lambda j: overlap(finding.start, finding.end,
                                                   gold[j].start, gold[j].end))
            matched.add(best)
            counts.tp += 1
        elif candidates:
            counts.duplicates += 1
        else:
            counts.fp += 1
            score.false_positives.append(i)
    for j, g in enumerate(gold):
        if g.entity_type in types and j not in matched:
            score.counts[str(g.entity_type)].fn += 1
            score.missed_gold.append(j)
    for g in lost_gold:
        if g.entity_type in types:
            score.counts[str(g.entity_type)].fn += 1
    score.matched_gold = sorted(matched)
    score.reported_decoys = [k for k, d in enumerate(decoys)
                             if any(covers(f, d) for _, f in scored)]
    return score
