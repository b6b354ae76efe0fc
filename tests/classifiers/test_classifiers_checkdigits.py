"""Check digits: published examples, and agreement with independent re-implementations."""

from __future__ import annotations

import random

import pytest

from classifiers.checkdigits import (
    DRIVER_LICENSE_ISSUERS,
    corporate_number_check_digit,
    driver_license_check_digit,
    is_valid_corporate_number,
    is_valid_driver_license,
    is_valid_my_number,
    luhn_valid,
    my_number_check_digit,
)
from tests.classifiers import gen

RNG = random.Random(3)


@pytest.mark.parametrize("number", ["7000012050002", "1180301018771"])
def test_published_corporate_numbers_are_valid(number: str) -> None:
    # 国税庁 and トヨタ自動車, from the 法人番号公表サイト.
    assert is_valid_corporate_number(number)
    for digit in "0123456789":
        if digit != number[0]:
            assert not is_valid_corporate_number(digit + number[1:])


def test_corporate_check_digit_is_never_zero_and_matches_reference() -> None:
    for _ in range(2000):
        base = "".join(RNG.choice("0123456789") for _ in range(12))
        assert corporate_number_check_digit(base) == gen.corporate_digit(base)
        assert 1 <= corporate_number_check_digit(base) <= 9


def test_my_number_matches_reference() -> None:
    for _ in range(2000):
        n = gen.my_number(RNG)
        assert my_number_check_digit(n[:11]) == int(n[11]) and is_valid_my_number(n)


def test_driver_license_worked_example_and_layout() -> None:
    # kojima-yutaka.main.jp: first ten 4598033587 -> weighted sum 174, 174 mod 11 = 9 -> 2.
    assert driver_license_check_digit("4598033587") == 2
    assert is_valid_driver_license("459803358720")
    assert is_valid_driver_license("459803358723")  # the 12th digit counts re-issues
    assert not is_valid_driver_license("459803358710")  # the 11th is the check digit
    assert not is_valid_driver_license("009803358720")  # 00 issues no licence
    assert {"10", "30", "43", "44", "97"} <= DRIVER_LICENSE_ISSUERS
    assert not {"00", "15", "31", "98", "99"} & DRIVER_LICENSE_ISSUERS
    for _ in range(500):
        n = gen.driver_license(RNG, RNG.choice(sorted(DRIVER_LICENSE_ISSUERS)))
        assert is_valid_driver_license(n)
        assert driver_license_check_digit(n[:10]) == gen.licence_digit(n[:10])


def test_luhn() -> None:
    assert luhn_valid("4111111111111111") and luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112")
    for _ in range(500):
        n = gen.card_number(RNG)
        assert luhn_valid(n)
        assert not any(luhn_valid(bad) for bad in gen.wrong_last(n))


@pytest.mark.parametrize("bad", ["", "1234567890", "１２３４５６７８９０１", "1234567890a"])
def test_check_digit_functions_refuse_bad_input(bad: str) -> None:
    with pytest.raises(ValueError):
        my_number_check_digit(bad)
    assert not is_valid_my_number(bad + "1")
