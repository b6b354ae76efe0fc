"""Check digits of the identifiers the generator plants, written independently of
``classifiers/`` so the evaluation does not grade the classifier against its own code.

- 個人番号 (My Number): P_n the n-th of the first 11 digits from the RIGHT, Q_n = n + 1
  (n <= 6), n - 5 (n >= 7); r = sum(P_n * Q_n) mod 11; check = 0 if r <= 1 else 11 - r.
- 法人番号 (corporate number): the LEADING digit checks the 12 base digits: P_n the n-th base
  digit from the right, Q_n = 1 (n odd), 2 (n even); check = 9 - (sum(P_n * Q_n) mod 9).
- Card numbers: Luhn.
- 運転免許証番号: the 11th of 12 digits is often said to be (11 - (5a+4b+3c+2d+7e+6f+5g+4h+3i+2j)
  mod 11) mod 10 over the first ten digits. No official source states it, so licences are
  generated to satisfy it but evaluated as "structure only" (outside the F1 targets).
"""

from __future__ import annotations


def _digits(value: str, length: int) -> list[int]:
    if len(value) != length or not value.isascii() or not value.isdigit():
        raise ValueError(f"need exactly {length} ASCII digits")
    return [int(c) for c in value]


def my_number_check_digit(first11: str) -> int:
    digits = _digits(first11, 11)
    total = 0
    for n in range(1, 12):
        q = n + 1 if n <= 6 else n - 5
        total += digits[11 - n] * q
    r = total % 11
    return 0 if r <= 1 else 11 - r


def is_valid_my_number(number: str) -> bool:
    if len(number) != 12 or not number.isascii() or not number.isdigit():
        return False
    return my_number_check_digit(number[:11]) == int(number[11])


def corporate_check_digit(base12: str) -> int:
    digits = _digits(base12, 12)
    total = sum(digits[12 - n] * (1 if n % 2 else 2) for n in range(1, 13))
    return 9 - total % 9


def is_valid_corporate_number(number: str) -> bool:
    if len(number) != 13 or not number.isascii() or not number.isdigit():
        return False
    return corporate_check_digit(number[1:]) == int(number[0])


def luhn_check_digit(payload: str) -> int:
    """The digit to append to ``payload`` so that the whole number passes Luhn."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:  # doubled: these become the odd positions once the check is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return (10 - total % 10) % 10


def luhn_valid(number: str) -> bool:
    if len(number) < 2 or not number.isascii() or not number.isdigit():
        return False
    return luhn_check_digit(number[:-1]) == int(number[-1])


_LICENSE_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def driver_license_check_digit(first10: str) -> int:
    digits = _digits(first10, 10)
    total = sum(d * w for d, w in zip(digits, _LICENSE_WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def is_valid_driver_license(number: str) -> bool:
    if len(number) != 12 or not number.isascii() or not number.isdigit():
        return False
    return driver_license_check_digit(number[:10]) == int(number[10])
