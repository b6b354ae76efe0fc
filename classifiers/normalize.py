"""NFKC normalisation that remembers where every normalised character came from.

Recognizers match on NFKC text (full-width digits and brackets, ㊙, half-width katakana all
fold to one form: design.md "classifiers"), but findings must point into the ORIGINAL text.

Speed matters here (the pattern path must reach 5 MB/s, issue 3), so the work is layered:

1. Already NFKC (and no ㊙): the text is its own normalised form, identity offsets.
2. Most Japanese documents differ from NFKC only by full-width forms (（）：　０-９Ａ-Ｚ) whose
   NFKC is ONE character. Those are replaced run by run (one regex over the text, one
   C-level ``str.translate`` over all the runs): the length does not change, so offsets stay
   the identity.
3. Only what is still not NFKC after that (㍻ -> 平成, ｶﾞ -> ガ, combining marks) is folded
   segment by segment; a segment is one character plus the characters NFKC composes into it.
   Only the segments that change length are remembered, as sorted breakpoints; a position
   between them maps by a constant shift. Translating per character before folding is sound:
   NFKD(NFKC(c)) == NFKD(c) for every character, so NFKC(translated) == NFKC(original).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field

# ㊙ (CIRCLED IDEOGRAPH SECRET) folds to a bare 秘 under NFKC, which would lose the fact that
# it is a marking; "【秘】" keeps it one.
_CIRCLED_SECRET = "\u3299"  # noqa: S105 - a character, not a password
_PRE_MAP = str.maketrans({_CIRCLED_SECRET: "【秘】"})

# Characters that attach to the previous one: voiced/semi-voiced sound marks (half-width
# ﾞﾟ fold to combining U+3099/U+309A) and Hangul medial/final jamo.
_JOINERS = frozenset("\uff9e\uff9f\u3099\u309a\u309b\u309c")


def _attaches(ch: str) -> bool:
    if ch < "\u0300":  # nothing below the combining block composes onto its predecessor
        return False
    if ch in _JOINERS or "\u1160" <= ch <= "\u11ff":
        return True
    folded = unicodedata.normalize("NFKC", ch)
    return bool(folded) and unicodedata.combining(folded[0]) != 0


def _one_to_one_table() -> dict[int, str]:
    """BMP characters whose NFKC is one character that composes with nothing before it."""
    table: dict[int, str] = {}
    for cp in range(0xA0, 0x10000):
        ch = chr(cp)
        if 0xD800 <= cp <= 0xDFFF or ch == _CIRCLED_SECRET or _attaches(ch):
            continue
        folded = unicodedata.normalize("NFKC", ch)
        if folded != ch and len(folded) == 1 and not _attaches(folded):
            table[cp] = folded
    return table


def _char_class(codepoints: list[int]) -> str:
    ranges: list[tuple[int, int]] = []
    for cp in codepoints:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


def _run_of(char_class: str) -> str:
    """A run of ``char_class``, spelt ``[c][c]*`` rather than ``[c]+``: ``re`` skips ahead
    in C only to a pattern that opens with a character set, not with a repeat."""
    return f"[{char_class}][{char_class}]*"


_TABLE = _one_to_one_table()
# Captured, so that ``split`` returns the runs too (at odd indices).
_FOLDABLE_RUN = re.compile(f"({_run_of(_char_class(sorted(_TABLE)))})")
# Characters NFKC leaves alone one by one and that compose onto nothing before them (ASCII,
# ¥, the CJK punctuation and brackets 、。〃々〆〇「」『』【】〒..., hiragana, katakana,
# CJK unified ideographs). Everything else is examined in step 3.
_UNSTABLE_RUN = re.compile(_run_of(
    "^\x00-\x7f\xa5\u3001-\u3029\u3041-\u3096\u30a1-\u30fc\u4e00-\u9fff"
))
_RUN_SEPARATOR = "\x00"  # ASCII: in no run, and translated to itself


def _translate_runs(text: str) -> str:
    """Step 2. All runs are translated by ONE ``str.translate`` (joined, then split again):
    a call per run costs more than the translation (tens of thousands of runs per MB)."""
    parts = _FOLDABLE_RUN.split(text)
    if len(parts) > 1:
        joined = _RUN_SEPARATOR.join(parts[1::2]).translate(_TABLE)
        parts[1::2] = joined.split(_RUN_SEPARATOR)
    return "".join(parts)


@dataclass
class _Folder:
    """Step 3: fold what is left, remembering the segments whose length changes."""

    source: str
    parts: list[str] = field(default_factory=list)
    # Per changed segment: normalised start/end and original start/end.
    norm_starts: list[int] = field(default_factory=list)
    norm_ends: list[int] = field(default_factory=list)
    orig_starts: list[int] = field(default_factory=list)
    orig_ends: list[int] = field(default_factory=list)
    _copied: int = 0
    _norm_len: int = 0

    def run(self) -> str:
        for m in _UNSTABLE_RUN.finditer(self.source):
            a, b = m.span()
            if a > 0 and _attaches(self.source[a]):
                a -= 1  # the starter before a combining mark belongs to its segment
            self._fold_region(max(a, self._copied), b)
        self._copy_to(len(self.source))
        return "".join(self.parts)

    def _copy_to(self, end: int) -> None:
        if end > self._copied:
            self.parts.append(self.source[self._copied : end])
            self._norm_len += end - self._copied
            self._copied = end

    def _fold_region(self, begin: int, end: int) -> None:
        start = begin
        for i in range(begin + 1, end + 1):
            if i == end or not _attaches(self.source[i]):
                self._fold_segment(start, i)
                start = i

    def _fold_segment(self, s: int, e: int) -> None:
        segment = self.source[s:e]
        folded = unicodedata.normalize("NFKC", segment.translate(_PRE_MAP))
        if folded == segment:
            return  # left in place; copied with the surrounding text
        self._copy_to(s)
        self.parts.append(folded)
        if len(folded) != e - s or len(folded) > 1:
            self.norm_starts.append(self._norm_len)
            self.norm_ends.append(self._norm_len + len(folded))
            self.orig_starts.append(s)
            self.orig_ends.append(e)
        self._norm_len += len(folded)
        self._copied = e


@dataclass(frozen=True)
class NormalizedText:
    """``text`` is the NFKC form of ``original``; ``original_span`` maps a span back."""

    original: str
    text: str
    # Segments whose normalised length differs from the original (sorted, disjoint); empty
    # when every character maps to exactly one (the identity map, the common case).
    _norm_starts: tuple[int, ...] = ()
    _norm_ends: tuple[int, ...] = ()
    _orig_starts: tuple[int, ...] = ()
    _orig_ends: tuple[int, ...] = ()

    @classmethod
    def of(cls, original: str) -> NormalizedText:
        has_secret = _CIRCLED_SECRET in original
        if not has_secret and unicodedata.is_normalized("NFKC", original):
            return cls(original, original)
        translated = _translate_runs(original)
        if not has_secret and unicodedata.is_normalized("NFKC", translated):
            return cls(original, translated)
        folder = _Folder(translated)
        text = folder.run()
        return cls(original, text, tuple(folder.norm_starts), tuple(folder.norm_ends),
                   tuple(folder.orig_starts), tuple(folder.orig_ends))

    @property
    def identity(self) -> bool:
        """True when offsets in ``text`` are offsets in ``original``."""
        return not self._norm_starts

    # One bisect each and no helper calls: this runs for every finding.
    def _start(self, pos: int) -> int:
        i = bisect_right(self._norm_starts, pos) - 1
        if i < 0:
            return pos
        if pos < self._norm_ends[i]:  # inside a changed segment: all of it
            return self._orig_starts[i]
        return pos + self._orig_ends[i] - self._norm_ends[i]

    def _end(self, last: int) -> int:
        i = bisect_right(self._norm_starts, last) - 1
        if i < 0:
            return last + 1
        if last < self._norm_ends[i]:
            return self._orig_ends[i]
        return last + 1 + self._orig_ends[i] - self._norm_ends[i]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` covering normalised ``[start, end)`` (end > start)."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span {start}:{end} outside the normalised text")
        if not self._norm_starts:
            return start, end
        return self._start(start), self._end(end - 1)
