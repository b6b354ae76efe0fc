"""Corporate numbers, credit cards, driver's licences: positives, decoys, shapes, offsets."""

from __future__ import annotations

import random

import pytest

from classifiers import (
    CorporateNumberRecognizer,
    CreditCardRecognizer,
    DriverLicenseRecognizer,
    MyNumberRecognizer,
)
from classifiers.registry import DEFAULT_RECOGNIZERS
from tests.classifiers import gen
from tests.classifiers.support import finder, spans

RNG = random.Random(11)
corporate = finder(CorporateNumberRecognizer())
card = finder(CreditCardRecognizer())
licence = finder(DriverLicenseRecognizer())
everything = finder(*DEFAULT_RECOGNIZERS)


def test_corporate_number_plain_full_width_and_invoice_number() -> None:
    for _ in range(20):
        n = gen.corporate_number(RNG)
        for shown in (n, n.translate(gen.FULL_WIDTH), n[:5] + "\n" + n[5:]):
            text = f"法人番号：{shown}（株式会社サンプル）"
            assert spans(corporate(text), text) == [("JP_CORPORATE_NUMBER", shown)]
        text = f"登録番号 T{n}"
        (f,) = corporate(text)
        assert text[f.start : f.end] == n and f.score >= 0.85  # the number, after its T


def test_invalid_corporate_numbers_and_longer_runs_are_not_reported() -> None:
    n = gen.corporate_number(RNG)
    for digit in "123456789":
        if digit != n[0]:
            assert corporate(f"法人番号 {digit}{n[1:]}") == []
    assert corporate(f"法人番号 0{n[1:]}") == []  # the check digit is never 0
    assert corporate(f"{n}5") == [] and corporate(f"9{n}") == []


@pytest.mark.parametrize(("prefix", "length", "layout"), [
    ("4", 16, (4, 4, 4, 4)), ("5", 16, (4, 4, 4, 4)), ("2221", 16, (4, 4, 4, 4)),
    ("35", 16, (4, 4, 4, 4)), ("37", 15, (4, 6, 5)), ("36", 14, (4, 6, 4)),
    ("6011", 16, (4, 4, 4, 4)), ("62", 16, (4, 4, 4, 4)),
])
def test_cards_of_every_brand(prefix: str, length: int, layout: tuple[int, ...]) -> None:
    if prefix == "5":
        prefix = "53"
    if prefix == "35":
        prefix = "3530"
    n = gen.card_number(RNG, prefix, length)
    for shown in (n, gen.groups(n, " ", layout), gen.groups(n, "-", layout),
                  gen.groups(n, "-", layout).translate(gen.FULL_WIDTH)):
        text = f"カード番号: {shown} 有効期限 12/28"
        assert spans(card(text), text) == [("CREDIT_CARD", shown)], shown


def test_card_decoys() -> None:
    n = gen.card_number(RNG, "4", 16)
    assert all(card(f"カード {bad}") == [] for bad in gen.wrong_last(n))  # Luhn
    unknown = gen.card_number(RNG, "9", 16)  # Luhn-valid but no issuer starts with 9
    assert card(f"カード {unknown}") == []
    assert card(f"{gen.groups(n, '-', (4, 4, 4, 4))}-1234") == []  # a longer chain


def test_driver_license_needs_context_and_its_check_digit() -> None:
    n = gen.driver_license(RNG, "43")
    text = f"運転免許証番号 第{n}号"
    (f,) = licence(text)
    assert text[f.start : f.end] == n and f.entity_type == "JP_DRIVER_LICENSE"
    assert licence(f"受付番号 {n}") == []  # no 免許 nearby
    bad = n[:10] + str((int(n[10]) + 1) % 10) + n[11]
    assert licence(f"免許証番号 {bad}") == []


def test_a_number_valid_as_my_number_and_licence_follows_its_context() -> None:
    # Both check digits pass for this one: the context decides which it is.
    both = next(n for n in (gen.driver_license(RNG, "30") for _ in range(5000))
                if gen.my_number_digit(n[:11]) == int(n[11]))
    kinds = {f.entity_type for f in everything(f"免許証番号 {both}")}
    assert kinds == {"JP_DRIVER_LICENSE"}
    kinds = {f.entity_type for f in everything(f"個人番号 {both}")}
    assert kinds == {"JP_MY_NUMBER"}


def test_amounts_dates_and_order_numbers_are_not_identifiers() -> None:
    text = ("請求金額 ¥1,234,567 (税込) 123456789012円 令和5年4月1日 2023-04-01 "
            "注文番号 2023-0401-1234-5678-9999 ¥ 123456789018")
    found = finder(MyNumberRecognizer(), CorporateNumberRecognizer(), CreditCardRecognizer(),
                   DriverLicenseRecognizer())(text)
    assert found == []
