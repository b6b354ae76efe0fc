"""Check digits of Japanese identifiers: pure functions over ASCII digit strings.

Each function documents its source. A recognizer drops any candidate that fails its check
(presidio's ``validate_result`` hook), whatever the context: an invalid number is never
reported (issue 3). Each check runs for thousands of candidates on number-dense text, so the
weights are tables computed once from the formulas quoted.
"""

from __future__ import annotations

from operator import mul


def _digits(value: str, length: int) -> list[int]:
    if len(value) != length or not value.isascii() or not value.isdigit():
        raise ValueError(f"need exactly {length} ASCII digits")
    return list(map(int, value))


# Q_n for P_11 ... P_1, i.e. for the 11 digits from the LEFT.
_MY_NUMBER_WEIGHTS = tuple(n + 1 if n <= 6 else n - 5 for n in range(11, 0, -1))


def my_number_check_digit(first11: str) -> int:
    """個人番号 (My Number) check digit (検査用数字; 番号法施行令 第8条, the 総務省令 it refers to):
    number the 11 digits P_n from the RIGHT (n = 1..11),
    weight Q_n = n + 1 for n <= 6 and n - 5 for n >= 7, r = Σ P_n·Q_n mod 11;
    check digit = 0 if r <= 1 else 11 - r."""
    total: int = sum(map(mul, _digits(first11, 11), _MY_NUMBER_WEIGHTS))
    r = total % 11
    return 0 if r <= 1 else 11 - r


def is_valid_my_number(value: str) -> bool:
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return False
    return my_number_check_digit(value[:11]) == int(value[11])


# Q_n for P_12 ... P_1, i.e. for the 12 base digits from the LEFT.
_CORPORATE_WEIGHTS = tuple(1 if n % 2 else 2 for n in range(12, 0, -1))


def corporate_number_check_digit(base12: str) -> int:
    """法人番号 check digit (法人番号の指定等に関する省令 第2条), placed in FRONT of the 12-digit
    base number: number the base digits P_n from the RIGHT (n = 1..12), Q_n = 1 for odd n and
    2 for even n; check digit = 9 - (Σ P_n·Q_n mod 9), so always 1..9.

    Verified on published numbers: 国税庁 7000012050002, トヨタ自動車 1180301018771.
    """
    total: int = sum(map(mul, _digits(base12, 12), _CORPORATE_WEIGHTS))
    return 9 - total % 9


def is_valid_corporate_number(value: str) -> bool:
    if len(value) != 13 or not value.isascii() or not value.isdigit():
        return False
    return corporate_number_check_digit(value[1:]) == int(value[0])


# A doubled digit's digit sum, per digit.
_LUHN_DOUBLED = tuple(d * 2 - 9 if d > 4 else d * 2 for d in range(10))


def luhn_valid(value: str) -> bool:
    """ISO/IEC 7812-1 Luhn check (credit cards), over the whole number including its check
    digit: double every second digit from the right, sum the digits, a multiple of 10 passes."""
    if not value.isascii() or not value.isdigit() or len(value) < 2:
        return False
    from_right = list(map(int, reversed(value)))
    doubled = sum(map(_LUHN_DOUBLED.__getitem__, from_right[1::2]))
    return (sum(from_right[0::2]) + doubled) % 10 == 0


# The public safety commission that first issued the licence (digits 1-2): 10-14 北海道
# (札幌 函館 旭川 釧路 北見), 20-25 東北, 30 東京, 40-49 関東・甲信越・静岡, 50-55 中部,
# 60-65 近畿, 70-74 中国, 80-83 四国, 90-97 九州・沖縄.
DRIVER_LICENSE_ISSUERS: frozenset[str] = frozenset(
    f"{n:02d}" for n in (
        *range(10, 15), *range(20, 26), 30, *range(40, 50), *range(50, 56),
        *range(60, 66), *range(70, 75), *range(80, 84), *range(90, 98),
    )
)


_DRIVER_LICENSE_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def driver_license_check_digit(first10: str) -> int:
    """運転免許証番号 check digit — the 11th of the 12 digits; the 12th counts re-issues.

    Layout: issuer code (2), year first licensed (2, western calendar), serial (6), check
    digit (1), re-issue count (1). Check digit = (11 - (Σ w_i·d_i mod 11)) mod 10 with
    weights 5,4,3,2,7,6,5,4,3,2 on digits 1..10 from the LEFT (modulus 11).

    Source reasoning: the police publish no specification. Independent public write-ups
    agree on exactly this layout and formula (T. Uehara's calculator page
    tetsutalow.github.io/driversnumbercheckdigit, jiko0.com/bangou.html,
    kojima-yutaka.main.jp 免許証番号の秘密, be_happy.chu.jp/menkyo); they note the digit is the
    11th, not the 12th, and that r = 0 and r = 10 both give 1. Our tests re-derive the
    worked example 4598033587 -> 2 from kojima-yutaka.main.jp.
    """
    digits = _digits(first10, 10)
    total: int = sum(map(mul, digits, _DRIVER_LICENSE_WEIGHTS))
    return (11 - total % 11) % 10


def is_valid_driver_license(value: str) -> bool:
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return False
    if value[:2] not in DRIVER_LICENSE_ISSUERS:
        return False
    return driver_license_check_digit(value[:10]) == int(value[10])
