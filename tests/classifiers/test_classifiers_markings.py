"""CLASSIFICATION_MARKING: markings as written, in any width; ordinary words are not markings."""

from __future__ import annotations

import pytest

from classifiers import ClassificationMarkingRecognizer
from classifiers.findings import Finding
from classifiers.markings import PATTERNS
from core.labels import MARKING_IDS
from tests.classifiers.support import finder

_find = finder(ClassificationMarkingRecognizer())


def find(text: str) -> list[Finding]:
    return _find(text)


def ids(text: str) -> list[str]:
    return sorted({f.marking for f in find(text) if f.marking})


@pytest.mark.parametrize(
    ("text", "marking", "span"),
    [
        ("極秘　令和5年度計画", "gokuhi", "極秘"),
        ("【秘】第12号", "hi", "【秘】"),
        ("文書（秘）です", "hi", "（秘）"),
        ("「秘」", "hi", "「秘」"),
        ("［秘］", "hi", "［秘］"),
        ("表紙 ㊙ 資料", "hi", "㊙"),
        ("前文\n　秘　\n本文", "hi", "秘"),
        ("取扱注意", "toriatsukai_chui", "取扱注意"),
        ("取り扱い注意", "toriatsukai_chui", "取り扱い注意"),
        ("部外秘資料", "bugaihi", "部外秘"),
        ("関係者限り", "kankeisha_kagiri", "関係者限り"),
        ("機密性３（高）情報", "kimitsusei_3", "機密性３（高）情報"),
        ("機密性２", "kimitsusei_2", "機密性２"),
        ("機密性 2 (中) 情報", "kimitsusei_2", "機密性 2 (中) 情報"),
        ("機密性1", "kimitsusei_1", "機密性1"),
        ("機密性２以上", "kimitsusei_2_ijo", "機密性２以上"),
        ("完全性２（高）情報", "kanzensei_2", "完全性２（高）情報"),
        ("可用性2", "kanyousei_2", "可用性2"),
        ("複製禁止", "no_copy", "複製禁止"),
        ("持ち出し禁止", "no_takeout", "持ち出し禁止"),
        ("持出禁止", "no_takeout", "持出禁止"),
        ("配布禁止", "no_distribution", "配布禁止"),
        ("必要以上の複製及び配付禁止", "no_distribution", "配付禁止"),
        ("読後廃棄", "destroy_after_reading", "読後廃棄"),
        ("所属長限り", "head_of_unit_only", "所属長限り"),
        ("外部提供禁止", "no_external_provision", "外部提供禁止"),
        ("親展", "shinten", "親展"),
        ("【個人情報】", "kojin_joho", "【個人情報】"),
        ("【個人情報含む】", "kojin_joho", "【個人情報含む】"),
        ("【特定個人情報】", "tokutei_kojin_joho", "【特定個人情報】"),
        ("重要情報\n本文", "juyo_joho", "重要情報"),
        ("TOP SECRET", "top_secret", "TOP SECRET"),
        ("[SECRET]", "secret", "[SECRET]"),
        ("SECRET\nbody", "secret", "SECRET"),
        ("SECRET//NOFORN", "secret", "SECRET"),
        ("本書はCONFIDENTIALです", "confidential", "CONFIDENTIAL"),
        ("Confidential\n", "confidential", "Confidential"),
        ("For Internal Use Only", "internal_use_only", "Internal Use Only"),
        ("DO NOT COPY", "no_copy", "DO NOT COPY"),
        ("Do not distribute", "no_distribution", "Do not distribute"),
    ],
)
def test_marking_found_with_original_span(text: str, marking: str, span: str) -> None:
    hits = [f for f in find(text) if f.marking == marking]
    assert len(hits) == 1, find(text)
    assert text[hits[0].start : hits[0].end] == span


@pytest.mark.parametrize(
    "text",
    [
        "秘密保持契約", "社長秘書", "便秘", "黙秘権", "神秘的な", "秘匿性", "秘 密", "秘　第123号",
        "極秘裏に進める", "極秘に", "機密性20", "情報の秘匿性等", "個人情報の保護に関する法律",
        "特定個人情報の取扱い", "重要情報を扱う", "the secret is out", "Secretary",
        "top secretary", "confidentiality matters", "取扱注意事項",
    ],
)
def test_ordinary_words_are_not_markings(text: str) -> None:
    assert find(text) == []


def test_top_secret_is_not_also_secret_and_gokuhi_not_also_hi() -> None:
    assert ids("TOP SECRET\n【極秘】") == ["gokuhi", "top_secret"]
    assert ids("[TOP SECRET]") == ["top_secret"]
    assert ids("部外秘") == ["bugaihi"]
    assert ids("【特定個人情報】") == ["tokutei_kojin_joho"]
    assert ids("機密性2以上") == ["kimitsusei_2_ijo"]


def test_full_width_offsets_map_back_through_a_long_prefix() -> None:
    prefix = "ｶﾞｲﾄﾞ（ＡＢＣ）" * 50  # every repetition shrinks under NFKC
    text = prefix + "機密性２（中）情報　【秘】"
    found = {f.marking: f for f in find(text)}
    k = found["kimitsusei_2"]
    assert text[k.start : k.end] == "機密性２（中）情報"
    assert k.marking_text == "機密性2(中)情報"  # normalised form
    h = found["hi"]
    assert text[h.start : h.end] == "【秘】"


def test_every_marking_id_is_canonical_and_detectable() -> None:
    detectable = {p.marking for p in PATTERNS}
    assert detectable == MARKING_IDS


def test_one_finding_per_occurrence() -> None:
    assert len(find("CONFIDENTIAL\n")) == 1  # matched by two forms, reported once
    assert len(find("【秘】【秘】")) == 2


def test_markings_are_not_personal_data_and_carry_no_hash() -> None:
    (f,) = find("【極秘】")
    assert f.text_hash is None and f.marking_text == "【極秘】"  # as written, brackets too
    assert f.to_dict()["marking"] == "gokuhi"


@pytest.mark.parametrize("text", ["cOnFiDeNtIaL\n", "[Top  Secret]", "do NOT copy"])
def test_ascii_markings_in_any_case(text: str) -> None:
    assert find(text), text
