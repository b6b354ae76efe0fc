"""Bank accounts, passports, residence cards: context decides."""

from __future__ import annotations

import pytest

from classifiers import BankAccountRecognizer, PassportRecognizer, ResidenceCardRecognizer
from tests.classifiers.support import finder, spans

bank = finder(BankAccountRecognizer())
passport = finder(PassportRecognizer())
residence = finder(ResidenceCardRecognizer())


@pytest.mark.parametrize(("text", "value"), [
    ("口座番号：1234567", "1234567"),
    ("みずほ銀行 新宿支店 普通 1234567", "1234567"),
    ("当座預金 ７６５４３２１", "７６５４３２１"),
    ("振込先 店番-口座番号 123-1234567", "123-1234567"),
    ("ゆうちょ銀行 記号番号 12345-12345671", "12345-12345671"),
])
def test_bank_accounts(text: str, value: str) -> None:
    assert spans(bank(text), text) == [("JP_BANK_ACCOUNT", value)]


@pytest.mark.parametrize("text", [
    "受付番号 1234567", "振込金額 1234567円", "口座番号 12345678", "普通 1,234,567",
    "口座 ¥1234567", "支店コード 123 口座種別 1",
])
def test_bank_decoys(text: str) -> None:
    assert bank(text) == [], text


def test_passport_needs_context() -> None:
    text = "旅券番号：TK1234567"
    assert spans(passport(text), text) == [("JP_PASSPORT", "TK1234567")]
    assert spans(passport("パスポート ＴＲ７６５４３２１"), "パスポート ＴＲ７６５４３２１") == [
        ("JP_PASSPORT", "ＴＲ７６５４３２１")]
    assert passport("型番 TK1234567") == []
    assert passport("旅券番号 TK12345678") == [] and passport("旅券 ATK1234567") == []


def test_residence_card() -> None:
    text = "在留カード番号 AB12345678CD"
    (f,) = residence(text)
    assert text[f.start : f.end] == "AB12345678CD" and f.score >= 0.85
    (bare,) = residence("番号 AB12345678CD")  # distinctive enough alone, at a lower score
    assert bare.score < f.score
    assert residence("AB12345678C") == [] and residence("AB123456789CD") == []
