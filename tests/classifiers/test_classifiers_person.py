"""PERSON by context rules (the pattern path): labels, honorifics, and what is not a name."""

from __future__ import annotations

import pytest

from classifiers import PersonContextRecognizer
from tests.classifiers.support import finder, spans

person = finder(PersonContextRecognizer())


@pytest.mark.parametrize(("text", "name"), [
    ("氏名：山田太郎", "山田太郎"),
    ("氏名: 山田 太郎（ヤマダ タロウ）", "山田 太郎"),
    ("担当者：鈴木花子（総務課）", "鈴木花子"),
    ("作成者　高橋一郎", "高橋一郎"),
    ("申請者：ヤマダ タロウ", "ヤマダ タロウ"),
    ("申請者：東海林徹", "東海林徹"),  # an unknown surname still counts after a colon
    ("山田太郎様", "山田太郎"),
    ("佐藤 次郎 殿", "佐藤 次郎"),
    ("昨日、田中さんから連絡", "田中"),
    ("総務課山田様", "山田"),
    ("氏名：ｻﾄｳ ｼﾞﾛｳ", "ｻﾄｳ ｼﾞﾛｳ"),  # half-width katakana, offsets in the original
])
def test_names(text: str, name: str) -> None:
    assert spans(person(text), text) == [("PERSON", name)]


@pytest.mark.parametrize("text", [
    "皆様", "お客様各位", "関係者様", "ご担当者様", "課長様", "担当者：総務課", "氏名：未定",
    "担当者 会議", "情報セキュリティ責任者は、", "神様", "担当：各位", "氏名欄に記入",
])
def test_not_names(text: str) -> None:
    assert person(text) == [], text


def test_label_and_honorific_on_one_name_give_one_finding() -> None:
    text = "担当者：山田太郎様"
    (f,) = person(text)
    assert text[f.start : f.end] == "山田太郎" and f.score >= 0.75
