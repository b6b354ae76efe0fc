"""NFKC normalisation that remembers where every normalised character came from.

Recognizers match on NFKC text (full-width digits and brackets, ㊙, half-width katakana all
fold to one form: design.md "classifiers"), but findings must point into the ORIGINAL text,
and NFKC changes lengths (﨑 stays, ㍻ -> 平成, ｶﾞ -> ガ). We normalise segment by segment —
a segment is one character plus any following characters that NFKC would compose into it
— and keep, for every normalised character, the original span of its segment.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from dataclasses import dataclass

# Mapped before NFKC: ㊙ (CIRCLED IDEOGRAPH SECRET) folds to a bare 秘 under NFKC, which would
# lose the fact that it is a marking; "【秘】" keeps it one.
_PRE_MAP = str.maketrans({"\u3299": "【秘】"})

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


def _segments(text: str, begin: int, end: int) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    start = begin
    for i in range(begin + 1, end + 1):
        if i == end or not _attaches(text[i]):
            bounds.append((start, i))
            start = i
    return bounds


# Runs of characters NFKC leaves alone one by one (ASCII, 、。「」『』, hiragana, katakana,
# CJK unified ideographs) are copied in bulk; only the rest is segmented character by
# character. This keeps a 10-million-character document to seconds.
_STABLE_RUN = re.compile(
    "[\x00-\x7f\u3001\u3002\u300c-\u300f\u3041-\u3096\u30a1-\u30fa\u30fc\u4e00-\u9fff]+"
)


def _stable_runs(text: str) -> list[tuple[int, int]]:
    runs = []
    for m in _STABLE_RUN.finditer(text):
        a, b = m.span()
        if b < len(text) and _attaches(text[b]):
            b -= 1  # the last character composes with what follows: segment it instead
        if b > a:
            runs.append((a, b))
    return runs


class _Builder:
    def __init__(self, original: str) -> None:
        self.original = original
        self.parts: list[str] = []
        self.starts: array[int] = array("i")  # 4 bytes per character each
        self.ends: array[int] = array("i")

    def copy(self, a: int, b: int) -> None:
        self.parts.append(self.original[a:b])
        self.starts.extend(range(a, b))
        self.ends.extend(range(a + 1, b + 1))

    def fold(self, a: int, b: int) -> None:
        for s, e in _segments(self.original, a, b) if b > a else ():
            seg = self.original[s:e]
            folded = unicodedata.normalize("NFKC", seg.translate(_PRE_MAP))
            self.parts.append(folded)
            self.starts.extend([s] * len(folded))
            self.ends.extend([e] * len(folded))


@dataclass(frozen=True)
class NormalizedText:
    """``text`` is the normalised form; ``original_span`` maps a span back."""

    original: str
    text: str
    # None when normalisation changed nothing (identity map, the common case).
    _starts: array[int] | None
    _ends: array[int] | None

    @classmethod
    def of(cls, original: str) -> NormalizedText:
        if unicodedata.is_normalized("NFKC", original) and "\u3299" not in original:
            return cls(original, original, None, None)
        builder = _Builder(original)
        pos = 0
        for a, b in _stable_runs(original):
            builder.fold(pos, a)
            builder.copy(a, b)
            pos = b
        builder.fold(pos, len(original))
        return cls(original, "".join(builder.parts), builder.starts, builder.ends)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` covering normalised ``[start, end)`` (end > start)."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span {start}:{end} outside the normalised text")
        if self._starts is None or self._ends is None:
            return start, end
        return self._starts[start], self._ends[end - 1]
