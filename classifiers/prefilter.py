"""The prefilter: each recognizer looks only at the regions around its trigger words.

Every match of a recognizer with ``TRIGGERS`` contains (or touches) one of its triggers: a
literal word (極秘, 取扱, @ ...), an ASCII word in any case (CONFIDENTIAL), or a cluster of
at least seven digits. One scan per kind finds them, with the stdlib ``re`` engine and
patterns that start with a literal or a character class, so ``re`` skips every other
character in C. A window of ``radius`` characters on each side of each trigger is kept;
windows are merged and joined with a separator no pattern crosses, the recognizer runs once
over that compacted text, and spans map back by one bisect. Recognizers sharing a trigger set
(all numeric identifiers) share the view. Typical documents shrink many times over, which is
what lets the pattern path pass 5 MB/s (issue 3).

Why nothing is lost: a match lies within ``radius`` of a trigger it contains, and so inside a
window; a window edge is ``radius`` away from every trigger, so no partial number or word at
an edge forms a match the full text would not have. The equivalence is tested on generated
documents. Context words are looked up in the full text, never here (classifiers.engine).

A recognizer that already finds its own anchors with such a scan, and runs its patterns
only there (addresses from place names, persons from labels, honorifics and surnames),
declares no triggers: a view would cost a second scan and gain nothing.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from classifiers.base import DASHES, Triggers

SEPARATOR = "\n\x00\n"  # nothing matches a NUL; the line breaks keep ^/$ semantics
# Above this share of the text, compaction saves less than it costs: use the full text.
MAX_SHARE = 0.6

# Possessive (``*+``, ``?+``, ``{6,}+``): a separator is never a digit nor a line break, so
# giving characters back could never let a cluster match; without backtracking, the many
# short numbers (dates, amounts) fail twice as fast.
_NUMERIC = re.compile(rf"[0-9](?:[ \t(){DASHES}]*+(?:\r?\n[ \t]*+)?+[0-9]){{6,}}+")

Cluster = tuple[int, int, int]  # start, end, number of digits


def numeric_clusters(text: str) -> list[Cluster]:
    """Every run of at least seven digits with separators between (scanned once per text and
    shared by all numeric recognizers, each keeping the clusters long enough for it)."""
    return [(m.start(), m.end(), _digit_count(m.group())) for m in _NUMERIC.finditer(text)]


_DELETE_DIGITS = str.maketrans("", "", "0123456789")


def _digit_count(cluster: str) -> int:
    return len(cluster) - len(cluster.translate(_DELETE_DIGITS))


def literal_alternation(words: Iterable[str]) -> str:
    """Alternatives grouped by first character, each starting with that literal character, so
    that ``re`` compiles a first-character set and skips every other position in C."""
    by_first: dict[str, set[str]] = {}
    for word in words:
        by_first.setdefault(word[0], set()).add(word[1:])
    parts = []
    for first in sorted(by_first):
        rests = sorted(by_first[first], key=lambda r: (-len(r), r))
        tail = "|".join(re.escape(r) for r in rests)
        parts.append(re.escape(first) + (f"(?:{tail})" if any(rests) else ""))
    return "|".join(parts)


def _ascii_alternation(words: Iterable[str]) -> str:
    """Case-insensitive ASCII words, starting with a class of their first letters (a flag
    would turn off the first-character skip)."""
    words = sorted({w.lower() for w in words})
    firsts = "".join(sorted({c for w in words for c in (w[0].lower(), w[0].upper())}))
    alts = "|".join(f"(?<={re.escape(w[0])}){re.escape(w[1:])}" for w in words)
    return f"[{firsts}](?i:{alts})"


@lru_cache(maxsize=64)
def ascii_word_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(_ascii_alternation(words))


@dataclass(frozen=True)
class Prefilter:
    radius: int
    numeric: int
    words: re.Pattern[str] | None
    ascii_words: re.Pattern[str] | None

    @classmethod
    def of(cls, triggers: Triggers) -> Prefilter:
        return _compiled(triggers)

    def spans(self, text: str, clusters: Sequence[Cluster] | None = None
              ) -> list[tuple[int, int]]:
        """The triggers in ``text``, sorted."""
        found: list[tuple[int, int]] = []
        if self.numeric:
            least = self.numeric
            found = [(start, end) for start, end, count in (
                numeric_clusters(text) if clusters is None else clusters) if count >= least]
        scans = [p for p in (self.words, self.ascii_words) if p is not None]
        for pattern in scans:
            found += [m.span() for m in pattern.finditer(text)]
        if len(scans) + bool(self.numeric) > 1:
            found.sort()  # each scan finds its triggers in order: only several need sorting
        return found


@lru_cache(maxsize=64)
def _compiled(triggers: Triggers) -> Prefilter:
    words = {w for w in triggers.words if w}
    ascii_words = tuple(sorted({w for w in triggers.ascii_words if w}))
    return Prefilter(
        triggers.radius,
        triggers.numeric,
        re.compile(literal_alternation(words)) if words else None,
        ascii_word_pattern(ascii_words) if ascii_words else None,
    )


def _windows(spans: Iterable[tuple[int, int]], length: int, radius: int) -> list[tuple[int, int]]:
    """The regions around sorted ``spans``."""
    merged: list[tuple[int, int]] = []
    gap = radius + radius + len(SEPARATOR)  # windows closer than this touch: one region
    last_start = last_end = -gap - 1
    for start, end in spans:
        if start - last_end <= gap:
            last_end = max(last_end, end)
            continue
        if last_end >= 0:
            merged.append((max(0, last_start - radius), min(length, last_end + radius)))
        last_start, last_end = start, end
    if last_end >= 0:
        merged.append((max(0, last_start - radius), min(length, last_end + radius)))
    return merged


@dataclass(frozen=True)
class View:
    """The text a recognizer sees: the full text, or the compacted trigger regions."""

    text: str
    # Per region: start in ``text`` and start in the full text (empty: ``text`` is full).
    _view_starts: tuple[int, ...] = ()
    _full_starts: tuple[int, ...] = ()

    @property
    def compacted(self) -> bool:
        return bool(self._view_starts)

    def to_full(self, start: int, end: int) -> tuple[int, int]:
        if not self._view_starts:
            return start, end
        i = bisect_right(self._view_starts, start) - 1
        shift = self._full_starts[i] - self._view_starts[i]
        return start + shift, end + shift


def view(text: str, prefilter: Prefilter, clusters: Sequence[Cluster] | None = None) -> View:
    """The compacted view of ``text``, or the full text when compaction would not pay;
    ``clusters``: ``numeric_clusters(text)`` when the caller already has them."""
    windows = _windows(prefilter.spans(text, clusters), len(text), prefilter.radius)
    covered = sum(b - a for a, b in windows)
    if covered > MAX_SHARE * len(text):
        return View(text)
    if not windows:
        return View("", (0,), (0,))  # nothing to look at: an empty, compacted view
    parts: list[str] = []
    view_starts: list[int] = []
    position = 0
    for a, b in windows:
        view_starts.append(position)
        parts.append(text[a:b])
        parts.append(SEPARATOR)
        position += b - a + len(SEPARATOR)
    return View("".join(parts), tuple(view_starts), tuple(a for a, _ in windows))
