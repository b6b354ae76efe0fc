"""JP_ADDRESS: prefecture / municipality (designated city and ward) / town / block number.

Anchored on the gazetteer (all 47 prefectures, the 20 designated cities and their wards,
Tokyo's 23 special wards; classifiers.gazetteer), or on any 〜市/町/村 followed by a block
number. What makes an address personal is the block (丁目, 番地, 15番1号, 3-15-1): a place
name alone (埼玉県, さいたま市浦和区) names an area, so without a block the score stays below
``REPORT_THRESHOLD`` unless an address word (住所, 所在地, ...) stands before it.

The span runs from the first named part to the end of the block (or of the municipality when
there is no block: the words after a ward are as likely to be prose as a town name).

No prefilter: the recognizer scans the whole text for its anchors with the stdlib engine (a
literal-first pattern, skipped to in C), which is what a prefilter scan would cost, and
matches its ``regex`` patterns only there; a view would only be scanned again.
"""

from __future__ import annotations

import re

import regex

from classifiers._presidio import RecognizerResult
from classifiers.base import DASHES, Context, JaEntityRecognizer
from classifiers.gazetteer import alternation, gazetteer
from classifiers.prefilter import literal_alternation

_G = gazetteer()
_PREF = alternation(_G.prefectures)
_DCITY = alternation(tuple(_G.designated_cities))
_WARD = alternation(_G.all_wards)
_SWARD = alternation(_G.special_wards)
# 郡 + 町/村, or a 市/町/村 of up to six characters (kana allowed: さいたま市, つくば市).
_MUNI = r"(?:\p{Han}{1,4}郡)?[\p{Han}々ヶぁ-んァ-ヶー]{1,6}?[市町村]"
# Town names: kanji and katakana, が/の/ケ inside (霞が関, 丸の内), and Sapporo's 北1条西;
# other hiragana ends them (高砂において...).
_TOWN = r"(?:[\p{Han}々ヶァ-ヶー]|[0-9]{1,2}条)(?:[\p{Han}々ヶァ-ヶーがのケ]|[0-9]{1,2}条){0,11}"
_NUM = r"(?:[0-9]{1,5}|[〇一二三四五六七八九十]{1,3})"
_D = rf"[ \t]*[{DASHES}][ \t]*"
_BLOCK = (
    rf"(?:{_NUM}丁目(?:[ \t]*{_NUM}(?:番地?|{_D}))?(?:[ \t]*{_NUM}号?)?"
    rf"|{_NUM}番地(?:の?{_NUM})?(?:[ \t]*{_NUM}号)?"
    rf"|{_NUM}番[ \t]*{_NUM}号"
    rf"|[0-9]{{1,5}}(?:{_D}[0-9]{{1,5}}){{1,3}})(?![0-9]|[条項章節])"
)
_CITY_PART = rf"(?:(?P<city>{_DCITY})(?P<ward>{_WARD})?|(?P<sward>{_SWARD})|(?P<muni>{_MUNI}))"
# Matched AT a gazetteer anchor (never searched: see AddressRecognizer.analyze).
NAMED_ADDRESS = regex.compile(
    rf"(?P<pref>{_PREF})[ \t]*{_CITY_PART}?(?:(?P<town>{_TOWN})??(?P<block>{_BLOCK}))?"
    rf"|(?P<city>{_DCITY})(?P<ward>{_WARD})?(?:(?P<town>{_TOWN})??(?P<block>{_BLOCK}))?"
    rf"|(?P<sward>{_SWARD})(?P<town>{_TOWN})??(?P<block>{_BLOCK})",
)
# Anchors, found with the stdlib engine: a literal alternation compiles to a first-character
# skip in C, where a \p{Han} class at the start of a pattern is tried at every character.
_ANCHORS = re.compile(literal_alternation({*_G.prefectures, *_G.designated_cities,
                                            *_G.special_wards}))
# A municipality not in the gazetteer: 〜市/町/村 + town + block, found from its 市/町/村.
_MUNI_SUFFIX = re.compile("[市町村]")
_AFTER_MUNI = regex.compile(rf"(?P<town>{_TOWN})??(?P<block>{_BLOCK})")
_MUNI_NAME = regex.compile(r"(?:\p{Han}{1,4}郡)?(?:\p{Han}{1,5}|[ぁ-ん]{2,5})\Z")
# A town name and a block right after a place (GiNZA's place entities, classifiers.ner).
TOWN_BLOCK = regex.compile(rf"[ \t]*(?:{_TOWN})??{_BLOCK}")
# Words that end in 市/町/村 but name no municipality (本市, 各市町村, 都市計画...).
_NOT_MUNICIPALITIES = ("都市", "市町", "町村", "本市", "同市", "各市", "当市", "全市", "政令市",
                       "中核市", "本町村", "同町", "各町", "当町", "全町", "同村", "各村", "当村")
_PROSE = frozenset("第法項章節")


def _not_municipality(name: str) -> bool:
    # Whole words only: 松本市 ends with 本市 and is a city.
    return name in _NOT_MUNICIPALITIES or name.endswith(("市町", "町村"))

SCORE_FULL = 0.85  # prefecture + municipality + block
SCORE_KNOWN_CITY = 0.7  # designated city / Tokyo ward + block
SCORE_MUNICIPALITY = 0.55  # any 〜市/町/村 + block
SCORE_AREA = 0.4  # prefecture + municipality, no block: needs an address word


# Groups are read all at once (``groups()``) and by number: the regex module takes about a
# microsecond to look up each group name, more than the match itself costs here.
_GROUP = NAMED_ADDRESS.groupindex


def _span_and_score(m: regex.Match[str]) -> tuple[int, int, float] | None:
    values = m.groups()
    group = {name: values[number - 1] for name, number in _GROUP.items()}
    if _PROSE & set(group["town"] or ""):
        return None
    named = [g for g in ("city", "ward", "sward", "muni") if group[g]]
    muni = group["muni"]
    if muni and _not_municipality(muni):
        named.remove("muni")
    if group["block"]:
        if group["pref"] and named:
            return m.start(), m.end(_GROUP["block"]), SCORE_FULL
        if not group["pref"] and named:
            return m.start(), m.end(_GROUP["block"]), SCORE_KNOWN_CITY
        return None  # 埼玉県3-1: a prefecture then a number is no address
    if group["pref"] and named:
        return m.start(), max(m.end(_GROUP[g]) for g in named), SCORE_AREA
    return None


def _municipality(text: str, suffix: int) -> tuple[int, int, float] | None:
    """An address around the 市/町/村 at ``suffix`` whose name the gazetteer lacks."""
    after = _AFTER_MUNI.match(text, suffix + 1)
    if after is None or _PROSE & set(after.group("town") or ""):
        return None
    name = _MUNI_NAME.search(text[max(0, suffix - 10) : suffix])
    if name is None:
        return None
    start = suffix - len(name.group())
    if _not_municipality(text[start : suffix + 1]):
        return None
    return start, after.end("block"), SCORE_MUNICIPALITY


class AddressRecognizer(JaEntityRecognizer):
    ENTITY = "JP_ADDRESS"
    CONTEXT = Context(("住所", "所在地", "住居", "居所", "本籍", "送付先", "届け先", "連絡先",
                       "address"), boost=0.4)
    REPORT_THRESHOLD = 0.5

    def __init__(self) -> None:
        super().__init__([self.ENTITY])

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None
                ) -> list[RecognizerResult]:
        spans: list[tuple[int, int, float]] = []
        for anchor in _ANCHORS.finditer(text):
            if spans and anchor.start() < spans[-1][1]:
                continue  # inside the address just found (埼玉県さいたま市: one anchor)
            m = NAMED_ADDRESS.match(text, anchor.start())
            found = _span_and_score(m) if m is not None else None
            if found is not None:
                spans.append(found)
        # 市/町/村 outside the gazetteer-anchored addresses (sorted and disjoint): only the
        # gaps between them are searched.
        gaps = zip([0, *(e for _, e, _ in spans)], [*(s for s, _, _ in spans), len(text)],
                   strict=True)
        for gap_start, gap_end in gaps:
            for suffix in _MUNI_SUFFIX.finditer(text, gap_start, gap_end):
                found = _municipality(text, suffix.start())
                if found is not None:
                    spans.append(found)
        return [self.result(self.ENTITY, s, e, score) for s, e, score in spans]
