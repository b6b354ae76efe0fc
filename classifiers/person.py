"""PERSON by context rules — the pattern-only path, used with or without GiNZA (issue 3).

Three rules, all on NFKC text:

- a label and a name: 氏名：山田太郎, 担当者: 鈴木 花子, 申請者 山田 (without a colon only when
  the name starts with a known surname);
- a name and an honorific: 山田太郎様, 鈴木さん, 佐藤殿 — only when the name starts with a
  known surname (gazetteer), so 皆様, お客様, ご担当者様 never count;
- a known family name of two or more characters, a space and a given name: 坂本　美咲
  (lists and tables), in its own recognizer (PersonNameRecognizer).

Neither recognizer uses the prefilter: each finds the places where a match can start (a
label, an honorific, a surname's first character with a space soon after) with the stdlib
engine, whose patterns opening with a literal or a character set are skipped to in C, and
runs its ``regex`` pattern only there. That costs what the prefilter's own scan would, and
leaves no view to build.

A name is kanji (a family and a given name, a space allowed between), or katakana with a
space (ヤマダ タロウ). Organisation words (総務課, 警察署) and placeholders (未定, 各位) are
not names; a known surname inside a longer run (総務課山田様) trims the name to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import regex

from classifiers._presidio import RecognizerResult
from classifiers.base import Context, JaEntityRecognizer
from classifiers.gazetteer import alternation, gazetteer
from classifiers.prefilter import literal_alternation

LABELS: tuple[str, ...] = (
    "氏名", "お名前", "名前", "担当者名", "担当者", "担当", "作成者", "申請者", "届出人", "届出者",
    "申込者", "代表者", "責任者", "契約者", "依頼者", "受取人", "世帯主", "被保険者", "患者名",
    "記入者", "連絡者", "保護者", "利用者名", "職員名", "立会人", "承認者", "確認者", "起案者",
    "決裁者", "差出人", "宛名", "名義人", "口座名義", "被疑者", "被害者", "参考人", "通報者",
)

_HAN = r"[\p{Han}々〆ヶ]"
# A family name has at most three characters (a space may follow it), a full name six.
_NAME = (
    rf"{_HAN}{{1,3}}[ \t]{_HAN}{{1,4}}(?!{_HAN})|{_HAN}{{1,6}}(?!{_HAN})"
    r"|[ァ-ヶー]{2,8}[ \t][ァ-ヶー]{2,8}(?![ァ-ヶー])"
)
# A unit may stand between the label and the name: 作成者：生活安全部　林誠.
_UNIT = rf"(?P<unit>{_HAN}{{2,10}}[部課係室局署班])[ \t]+"
LABELLED = regex.compile(
    rf"(?P<label>{alternation(LABELS)})[ \t]*(?P<colon>[:：])?[ \t]*(?:{_UNIT})?"
    rf"(?P<name>{_NAME})"
)
# Where LABELLED can match: at a label (searching for LABELLED itself, in the regex module,
# takes twice as long).
_LABEL = re.compile(literal_alternation(LABELS))
# Groups are read by number: the regex module takes a microsecond to look up a name.
_LABELLED_GROUP = LABELLED.groupindex
# Honorifics are found first (stdlib re: a literal-first pattern is skipped to in C), then
# the name is read backwards from each; a \p{Han} class at the start of a searched pattern
# would be tried at every character of the text.
_HONORIFIC = re.compile("様|殿|さん|氏(?!名)|君")
_NAME_BEFORE = regex.compile(rf"(?:{_HAN}{{1,3}}[ \t])?{_HAN}{{1,6}}[ \t]?\Z")
_ORG_CHARS = frozenset("課係室局庁省署班隊校院館社会株協組")
# Last characters of role words, never of names (関係者様, 課長様, 先方様).
_NOT_LAST = frozenset("者員長方達等位官")
_PLACEHOLDERS = ("未定", "不明", "各位", "同上", "別紙", "本人", "記入", "署名", "押印", "省略",
                 "なし", "該当", "以下", "次の", "各自", "全員", "職員", "同意")

SCORE_LABEL_SURNAME = 0.75
SCORE_LABEL = 0.55
SCORE_LABEL_NO_COLON = 0.6  # surname required
SCORE_HONORIFIC = 0.65  # surname required


def surname_start(name: str) -> int | None:
    """Index of the first position where a known surname begins (longest match wins)."""
    surnames = gazetteer().surnames
    for i in range(len(name)):
        if name[i : i + 3] in surnames or name[i : i + 2] in surnames or name[i] in surnames:
            return i
    return None


def _plausible(name: str) -> bool:
    return (
        _ORG_CHARS.isdisjoint(name)
        and not name.startswith(_PLACEHOLDERS)
        and name[-1] not in _NOT_LAST
    )


class PersonContextRecognizer(JaEntityRecognizer):
    """PERSON from a label before a name or an honorific after it (rules 1 and 2)."""

    ENTITY = "PERSON"
    CONTEXT = Context((), boost=0.0)
    REPORT_THRESHOLD = 0.5

    def __init__(self) -> None:
        super().__init__([self.ENTITY])

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None
                ) -> list[RecognizerResult]:
        found: dict[tuple[int, int], float] = {}
        for m in _matches_from(_LABEL, LABELLED, text):
            self._labelled(m, found)
        for m in _HONORIFIC.finditer(text):
            self._honoured(text, m.start(), found)
        return [self.result(self.ENTITY, s, e, score) for (s, e), score in sorted(found.items())]

    def _labelled(self, m: regex.Match[str], found: dict[tuple[int, int], float]) -> None:
        unit = m.group(_LABELLED_GROUP["unit"])
        if unit and surname_start(unit) == 0 and len(unit) <= 3:
            return  # 長谷部 太郎: a family name ending in 部, not a unit (too rare to guess)
        name_group = _LABELLED_GROUP["name"]
        name, start = m.group(name_group).rstrip(), m.start(name_group)
        name = name[:-1].rstrip() if name[-1:] in "様殿氏君" and len(name) > 2 else name
        if not _plausible(name):
            return
        known = surname_start(name) == 0
        if m.group(_LABELLED_GROUP["colon"]):
            score = SCORE_LABEL_SURNAME if known else SCORE_LABEL
        elif known:
            score = SCORE_LABEL_NO_COLON
        else:
            return
        _keep(found, start, start + len(name), score)

    def _honoured(self, text: str, at: int, found: dict[tuple[int, int], float]) -> None:
        before = _NAME_BEFORE.search(text[max(0, at - 10) : at])
        if before is None:
            return
        name = before.group().rstrip()
        offset = surname_start(name)
        if offset is None:
            return
        name = name[offset:]
        if not _plausible(name):
            return
        start = at - len(before.group()) + offset
        _keep(found, start, start + len(name), SCORE_HONORIFIC)


# Rule 3: a known family name of two or more characters, a space (an ideographic space in
# the original), and a given name — the way names are written in lists and tables
# (坂本　美咲). One-character surnames (林, 森, 東) are ordinary words too often to count here.
_SPACED_NAME_SURNAMES = tuple(sorted(n for n in gazetteer().surnames if len(n) >= 2))
SPACED_NAME = regex.compile(
    rf"(?<!{_HAN}){alternation(_SPACED_NAME_SURNAMES)} (?:{_HAN}{{1,3}}|[ぁ-ん]{{2,4}})"
    rf"(?!{_HAN}|[ぁ-ん])"
)
# Where a spaced name can start: the first character of a listed surname, and a space after
# as many more characters as a surname has. A loose test (SPACED_NAME decides) but a cheap
# one: the stdlib engine skips to the character set in C, where an alternation of hundreds of
# surnames would be tried one by one. SPACED_NAME opens with a look-behind, which keeps the
# regex module from skipping to anything, so it runs only at these candidates.
_NAME_START = re.compile(
    f"[{''.join(sorted({re.escape(n[0]) for n in _SPACED_NAME_SURNAMES}))}]"
    f"(?=[^ ]{{1,{max(map(len, _SPACED_NAME_SURNAMES)) - 1}}} )"
)
SCORE_SPACED_NAME = 0.6


class PersonNameRecognizer(JaEntityRecognizer):
    """PERSON from its shape alone: known family name, space, given name (rule 3)."""

    ENTITY = "PERSON"
    CONTEXT = Context((), boost=0.0)
    REPORT_THRESHOLD = 0.5

    def __init__(self) -> None:
        super().__init__([self.ENTITY])

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None
                ) -> list[RecognizerResult]:
        return [self.result(self.ENTITY, m.start(), m.end(), SCORE_SPACED_NAME)
                for m in _matches_from(_NAME_START, SPACED_NAME, text)
                if _plausible(m.group())]


def _matches_from(start: re.Pattern[str], pattern: regex.Pattern[str], text: str
                  ) -> Iterator[regex.Match[str]]:
    """``pattern.finditer(text)``, tried only where ``start`` matches: the same matches when
    every match of ``pattern`` begins where one of ``start`` does, and found much faster."""
    position = 0
    while (candidate := start.search(text, position)) is not None:
        m = pattern.match(text, candidate.start())  # a look-behind still sees before it
        if m is None:
            position = candidate.start() + 1
        else:
            yield m
            position = m.end()


def _keep(found: dict[tuple[int, int], float], start: int, end: int, score: float) -> None:
    if end > start:
        found[(start, end)] = max(score, found.get((start, end), 0.0))
