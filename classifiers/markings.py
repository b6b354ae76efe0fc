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

from classifiers.findings import CLASSIFICATION_MARKING, Finding
from classifiers.normalize import NormalizedText
from classifiers.recognizer import Recognizer, ValueTagger
from core.labels import MARKING_IDS

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


def _anywhere(marking: str, word: str, flags: int = 0) -> MarkingPattern:
    return MarkingPattern(marking, re.compile(rf"(?P<m>{word})", flags), 0.85)


def _bracketed(marking: str, word: str, flags: int = 0) -> MarkingPattern:
    regex = re.compile(rf"(?P<m>{_OPEN}[ \t]*(?:{word})[ \t]*{_CLOSE})", flags)
    return MarkingPattern(marking, regex, 0.95)


def _own_line(marking: str, word: str, flags: int = 0) -> MarkingPattern:
    regex = re.compile(rf"^[ \t]*(?P<m>{word})[ \t]*\r?$", re.MULTILINE | flags)
    return MarkingPattern(marking, regex, 0.9)


def _marked(marking: str, word: str, flags: int = 0) -> tuple[MarkingPattern, ...]:
    return (_bracketed(marking, word, flags), _own_line(marking, word, flags))


def _level(word: str, digit: str, qualifier: str) -> str:
    # 機密性2（中）情報 / 機密性 2 / 機密性２情報 — but not 機密性20, nor 機密性2以上.
    optional = rf"(?:[ \t]*\((?:{qualifier})\))?(?:[ \t]*情報)?"
    return rf"{word}[ \t]*{digit}(?![0-9]){optional}(?![ \t]*以上)"


_I = re.IGNORECASE
PATTERNS: tuple[MarkingPattern, ...] = (
    _anywhere("gokuhi", r"極秘(?!裏|に)"),  # 極秘裏に / 極秘に are adverbs, not marks
    *_marked("hi", r"秘"),
    _anywhere("toriatsukai_chui", r"取り?扱い?(?:厳重)?注意(?!事項|点)"),
    _anywhere("bugaihi", r"[部庁局課社]外秘"),
    _anywhere("kankeisha_kagiri", r"関係者(?:限り|外秘)"),
    _anywhere("kimitsusei_3", _level("機密性", "3", "高|中|低")),
    _anywhere("kimitsusei_2", _level("機密性", "2", "高|中|低")),
    _anywhere("kimitsusei_1", _level("機密性", "1", "高|中|低")),
    _anywhere("kimitsusei_2_ijo", r"機密性[ \t]*2[ \t]*以上"),
    _anywhere("kanzensei_2", _level("完全性", "2", "高")),
    _anywhere("kanyousei_2", _level("可用性", "2", "高")),
    _anywhere("no_copy", r"複製禁止|コピー禁止"),
    _anywhere("no_copy", rf"{_A}do[ \t]+not[ \t]+(?:copy|duplicate){_Z}", _I),
    _anywhere("no_takeout", r"持ち?出し?(?:禁止|厳禁)"),
    _anywhere("no_distribution", r"配[布付]禁止"),
    _anywhere("no_distribution", rf"{_A}do[ \t]+not[ \t]+(?:distribute|forward){_Z}", _I),
    _anywhere("destroy_after_reading", r"読後(?:廃棄|破棄|焼却)"),
    _anywhere("head_of_unit_only", r"所属長限り"),
    _anywhere("no_external_provision", r"外部提供禁止"),
    _anywhere("shinten", r"親展"),
    *_marked("kojin_joho", rf"個人情報{_CONTAINS}"),
    *_marked("tokutei_kojin_joho", rf"特定個人情報{_CONTAINS}"),
    *_marked("juyo_joho", r"重要情報"),
    _anywhere("top_secret", rf"{_A}top[ \t]*secret{_Z}", _I),
    *_marked("secret", r"secret", _I),
    MarkingPattern("secret", re.compile(r"(?<![A-Za-z] )(?<![A-Za-z])(?P<m>SECRET)(?=//)"), 0.9),
    _anywhere("confidential", rf"{_A}CONFIDENTIAL{_Z}"),
    *_marked("confidential", r"confidential", _I),
    _anywhere("internal_use_only", rf"{_A}(?:internal|official)[ \t]+use[ \t]+only{_Z}", _I),
)


def _drop_contained(findings: list[Finding]) -> list[Finding]:
    """One hit per marking occurrence: drop a span inside another span of the same id.

    Sorted by (id, start, longest first), a span is contained exactly when it ends no later
    than the furthest end seen so far for its id: one linear sweep, not a pairwise scan.
    """
    ordered = sorted(findings, key=lambda f: (f.marking or "", f.start, -f.end, -f.score))
    kept: list[Finding] = []
    reach: dict[str | None, int] = {}
    for f in ordered:
        if f.end > reach.get(f.marking, -1):
            kept.append(f)
            reach[f.marking] = f.end
    return sorted(kept, key=lambda f: (f.start, f.end))


class ClassificationMarkingRecognizer(Recognizer):
    name: ClassVar[str] = "ClassificationMarkingRecognizer"
    entity_type: ClassVar[str] = CLASSIFICATION_MARKING
    patterns: ClassVar[tuple[MarkingPattern, ...]] = PATTERNS

    def analyze(self, text: NormalizedText, tagger: ValueTagger) -> list[Finding]:
        # Markings are labels, not personal data: the normalised text is kept, no tag needed.
        found: list[Finding] = []
        for pattern in self.patterns:
            for match in pattern.regex.finditer(text.text):
                start, end = text.original_span(match.start("m"), match.end("m"))
                found.append(Finding(
                    self.entity_type, start, end, pattern.score, self.name,
                    marking=pattern.marking, marking_text=match.group("m"),
                ))
        return _drop_contained(found)


assert {p.marking for p in PATTERNS} <= MARKING_IDS, "marking ids must be canonical"
