"""Classification and handling markings already written on a document (極秘, 【秘】, 機密性２, ...).

Matching runs on NFKC text, so full-width digits and brackets (機密性２, （秘）, ［秘］) need no
separate patterns, and ㊙ arrives as 【秘】 (see classifiers.normalize). Each hit carries a
canonical marking id (core.labels.MARKING_IDS) that profiles map onto levels/restrictions.

Two kinds of words:
- distinctive ones (極秘, 取扱注意, 複製禁止, 機密性2, ...) count wherever they appear;
- words that are ordinary vocabulary too (秘, 個人情報, 重要情報, SECRET) count only in a
  marking position: in brackets (【秘】, 「秘」, (秘)) or alone on a line. So 秘密, 秘書, 便秘,
  黙秘 never match — nor OCR-spaced "秘 密", which is why "秘" at a line head does not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from classifiers._presidio import RecognizerResult
from classifiers.base import JaEntityRecognizer, Triggers
from classifiers.findings import CLASSIFICATION_MARKING
from classifiers.prefilter import ascii_word_pattern
from core.labels import MARKING_IDS

# Keys of RecognizerResult.recognition_metadata the engine reads.
MARKING_KEY = "marking"
MARKING_TEXT_KEY = "marking_text"

_OPEN = r"[\[(【「『〔〈《<{≪〖〘]"
_CLOSE = r"[\])】」』〕〉》>}≫〗〙]"
# ASCII word boundaries: Python's \b treats kanji as word characters, so "本書はCONFIDENTIAL"
# would have no boundary before the C.
_A = r"(?<![A-Za-z0-9])"
_Z = r"(?![A-Za-z0-9])"
# Suffixes that still make a marking: 【個人情報含む】, 【個人情報あり】.
_CONTAINS = r"(?:を?含む|あり|有り|在中)?"


@dataclass(frozen=True)
class MarkingPattern:
    marking: str
    regex: re.Pattern[str]  # the reported span is the named group "m"
    score: float
    # A word every match contains: the pattern runs only when it occurs in the text (a C-level
    # substring test, case-insensitive for ASCII), so absent markings cost nothing.
    needle: str

    @property
    def ascii(self) -> bool:
        return self.needle.isascii()


def _anywhere(marking: str, word: str, needle: str, flags: int = 0) -> MarkingPattern:
    return MarkingPattern(marking, re.compile(rf"(?P<m>{word})", flags), 0.85, needle)


def _bracketed(marking: str, word: str, needle: str, flags: int = 0) -> MarkingPattern:
    regex = re.compile(rf"(?P<m>{_OPEN}[ \t]*(?:{word})[ \t]*{_CLOSE})", flags)
    return MarkingPattern(marking, regex, 0.95, needle)


def _own_line(marking: str, word: str, needle: str, flags: int = 0) -> MarkingPattern:
    regex = re.compile(rf"^[ \t]*(?P<m>{word})[ \t]*\r?$", re.MULTILINE | flags)
    return MarkingPattern(marking, regex, 0.9, needle)


def _marked(marking: str, word: str, needle: str, flags: int = 0
            ) -> tuple[MarkingPattern, ...]:
    return (_bracketed(marking, word, needle, flags), _own_line(marking, word, needle, flags))


def _level(word: str, digit: str, qualifier: str) -> str:
    # 機密性2（中）情報 / 機密性 2 / 機密性２情報 — but not 機密性20, nor 機密性2以上.
    optional = rf"(?:[ \t]*\((?:{qualifier})\))?(?:[ \t]*情報)?"
    return rf"{word}[ \t]*{digit}(?![0-9]){optional}(?![ \t]*以上)"


_I = re.IGNORECASE
PATTERNS: tuple[MarkingPattern, ...] = (
    _anywhere("gokuhi", r"極秘(?!裏|に)", "極秘"),  # 極秘裏に / 極秘に are adverbs, not marks
    *_marked("hi", r"秘", "秘"),
    _anywhere("toriatsukai_chui", r"取り?扱い?(?:厳重)?注意(?!事項|点)", "注意"),
    _anywhere("bugaihi", r"[部庁局課社]外秘", "外秘"),
    _anywhere("kankeisha_kagiri", r"関係者(?:限り|外秘)", "関係者"),
    _anywhere("kimitsusei_3", _level("機密性", "3", "高|中|低"), "機密性"),
    _anywhere("kimitsusei_2", _level("機密性", "2", "高|中|低"), "機密性"),
    _anywhere("kimitsusei_1", _level("機密性", "1", "高|中|低"), "機密性"),
    _anywhere("kimitsusei_2_ijo", r"機密性[ \t]*2[ \t]*以上", "機密性"),
    _anywhere("kanzensei_2", _level("完全性", "2", "高"), "完全性"),
    _anywhere("kanyousei_2", _level("可用性", "2", "高"), "可用性"),
    _anywhere("no_copy", r"複製禁止|コピー禁止", "禁止"),
    _anywhere("no_copy", rf"{_A}do[ \t]+not[ \t]+(?:copy|duplicate){_Z}", "not", _I),
    _anywhere("no_takeout", r"持ち?出し?(?:禁止|厳禁)", "出"),
    _anywhere("no_distribution", r"配[布付]禁止", "禁止"),
    _anywhere("no_distribution", rf"{_A}do[ \t]+not[ \t]+(?:distribute|forward){_Z}", "not", _I),
    _anywhere("destroy_after_reading", r"読後(?:廃棄|破棄|焼却)", "読後"),
    _anywhere("head_of_unit_only", r"所属長限り", "所属長限り"),
    _anywhere("no_external_provision", r"外部提供禁止", "外部提供禁止"),
    _anywhere("shinten", r"親展", "親展"),
    *_marked("kojin_joho", rf"個人情報{_CONTAINS}", "個人情報"),
    *_marked("tokutei_kojin_joho", rf"特定個人情報{_CONTAINS}", "特定個人情報"),
    *_marked("juyo_joho", r"重要情報", "重要情報"),
    _anywhere("top_secret", rf"{_A}top[ \t]*secret{_Z}", "secret", _I),
    *_marked("secret", r"secret", "secret", _I),
    MarkingPattern("secret", re.compile(r"(?<![A-Za-z] )(?<![A-Za-z])(?P<m>SECRET)(?=//)"), 0.9,
                   "secret"),
    _anywhere("confidential", rf"{_A}CONFIDENTIAL{_Z}", "confidential"),
    *_marked("confidential", r"confidential", "confidential", _I),
    _anywhere("internal_use_only", rf"{_A}(?:internal|official)[ \t]+use[ \t]+only{_Z}", "use",
              _I),
)


_OPENERS = frozenset("[(【「『〔〈《<{≪〖〘")
_CLOSERS = frozenset("])】」』〕〉》>}≫〗〙")


def _with_brackets(text: str, start: int, end: int) -> tuple[int, int]:
    """The marking as written: 【取扱注意】, not 取扱注意 (labels show the brackets too)."""
    if 0 < start and end < len(text) and text[start - 1] in _OPENERS and text[end] in _CLOSERS:
        return start - 1, end + 1
    return start, end


def _present(text: str, patterns: tuple[MarkingPattern, ...]) -> set[str]:
    """The needles that occur in ``text``."""
    needles = {p.needle for p in patterns}
    found = {n for n in needles if not n.isascii() and n in text}
    ascii_needles = tuple(sorted(n for n in needles if n.isascii()))
    if ascii_needles:
        found.update(m.group().lower() for m in ascii_word_pattern(ascii_needles).finditer(text))
    return found


def _drop_contained(results: list[RecognizerResult]) -> list[RecognizerResult]:
    """One hit per marking occurrence: drop a span inside another span of the same id.

    Sorted by (id, start, longest first), a span is contained exactly when it ends no later
    than the furthest end seen so far for its id: one linear sweep, not a pairwise scan.
    """
    def marking(r: RecognizerResult) -> str:
        return str(r.recognition_metadata[MARKING_KEY])

    ordered = sorted(results, key=lambda r: (marking(r), r.start, -r.end, -r.score))
    kept: list[RecognizerResult] = []
    reach: dict[str, int] = {}
    for r in ordered:
        if r.end > reach.get(marking(r), -1):
            kept.append(r)
            reach[marking(r)] = r.end
    return sorted(kept, key=lambda r: (r.start, r.end))


class ClassificationMarkingRecognizer(JaEntityRecognizer):
    """A presidio EntityRecognizer; each result carries its canonical marking id and the
    normalised marking text in ``recognition_metadata`` (a marking is a label, not personal
    data, so its text may be shown)."""

    ENTITY: ClassVar[str] = CLASSIFICATION_MARKING
    patterns: ClassVar[tuple[MarkingPattern, ...]] = PATTERNS
    TRIGGERS: ClassVar[Triggers | None] = Triggers(
        # Every pattern above contains one of these (秘 covers 極秘, 部外秘, 【秘】, ㊙).
        words=("秘", "取扱", "取り扱", "関係者限り", "機密性", "完全性", "可用性", "複製禁止",
               "コピー禁止", "持ち出", "持出", "配布禁止", "配付禁止", "読後", "所属長限り",
               "外部提供禁止", "親展", "個人情報", "重要情報"),
        ascii_words=("secret", "confidential", "internal", "official", "not"),
        radius=32,
    )
    PERSONAL: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__([self.ENTITY])

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None
                ) -> list[RecognizerResult]:
        found: list[RecognizerResult] = []
        present = _present(text, self.patterns)
        for pattern in self.patterns:
            if pattern.needle not in present:
                continue
            for match in pattern.regex.finditer(text):
                start, end = _with_brackets(text, match.start("m"), match.end("m"))
                found.append(self.result(
                    self.ENTITY, start, end, pattern.score,
                    **{MARKING_KEY: pattern.marking, MARKING_TEXT_KEY: text[start:end]},
                ))
        return _drop_contained(found)


assert {p.marking for p in PATTERNS} <= MARKING_IDS, "marking ids must be canonical"
