"""Entity strings for the synthetic documents: positives with valid check digits, and decoys.

Each maker returns a ``Piece`` (or a list of plain strings and pieces, when a label such as
〒 or "T" stands next to the value but outside its span). A gold span is the value alone: a
finding that also covers the label still overlaps all of it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from tests.eval import pools
from tests.eval.checkdigits import (
    corporate_check_digit,
    driver_license_check_digit,
    is_valid_driver_license,
    is_valid_my_number,
    luhn_check_digit,
    my_number_check_digit,
)

MY_NUMBER = "JP_MY_NUMBER"
CORPORATE_NUMBER = "JP_CORPORATE_NUMBER"
PHONE = "PHONE_NUMBER"
POSTAL_CODE = "JP_POSTAL_CODE"
ADDRESS = "JP_ADDRESS"
EMAIL = "EMAIL_ADDRESS"
CREDIT_CARD = "CREDIT_CARD"
BANK_ACCOUNT = "JP_BANK_ACCOUNT"
DRIVER_LICENSE = "JP_DRIVER_LICENSE"
PASSPORT = "JP_PASSPORT"
RESIDENCE_CARD = "JP_RESIDENCE_CARD"
PERSON = "PERSON"
MARKING = "CLASSIFICATION_MARKING"

ENTITY_TYPES = (
    MY_NUMBER, CORPORATE_NUMBER, CREDIT_CARD, POSTAL_CODE, PHONE, EMAIL, ADDRESS, PERSON,
    BANK_ACCOUNT, DRIVER_LICENSE, PASSPORT, RESIDENCE_CARD, MARKING,
)

# Decoy kinds. Numbers failing their check digit must never be reported (issue 3, Targets).
INVALID_CHECK_DIGIT = "invalid_check_digit"
DATE = "date"
ORDER_NUMBER = "order_number"
AMOUNT = "amount"
PHONE_LIKE_AMOUNT = "phone_like_amount"
MARKING_LOOKALIKE = "marking_lookalike"


@dataclass(frozen=True)
class Piece:
    """A labelled string. ``decoy`` is None for a positive; for a decoy, ``entity_type`` is
    the type it could be mistaken for (None when it is merely number-like)."""

    text: str
    entity_type: str | None = None
    decoy: str | None = None
    variant: str = "plain"


Inline = str | Piece

_FULL = str.maketrans("0123456789-+() ", "０１２３４５６７８９－＋（）　")


def fullwidth(text: str) -> str:
    return text.translate(_FULL)


def digits(rng: random.Random, n: int, *, first_nonzero: bool = False) -> str:
    head = str(rng.randint(1, 9)) if first_nonzero else str(rng.randint(0, 9))
    return head + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


def _wrong_digit(rng: random.Random, right: int) -> str:
    return str(rng.choice([d for d in range(10) if d != right]))


def _groups(number: str, sizes: tuple[int, ...], sep: str) -> str:
    out, pos = [], 0
    for size in sizes:
        out.append(number[pos:pos + size])
        pos += size
    return sep.join(out)


def _layout(number: str, sizes: tuple[int, ...], variant: str) -> str:
    """plain 123456789018, spaced 1234 5678 9018, hyphen 1234-5678-9018, fullwidth(_spaced),
    line_break 1234 5678<newline>9018 (the last group on the next line)."""
    if variant == "plain":
        return number
    if variant == "spaced":
        return _groups(number, sizes, " ")
    if variant == "hyphen":
        return _groups(number, sizes, "-")
    if variant == "fullwidth":
        return fullwidth(number)
    if variant == "fullwidth_spaced":
        return fullwidth(_groups(number, sizes, " "))
    if variant == "line_break":
        head = _groups(number[:-sizes[-1]], sizes[:-1], " ")
        return head + "\n" + number[-sizes[-1]:]
    raise ValueError(variant)


_NUMBER_VARIANTS = ("plain", "spaced", "hyphen", "fullwidth", "fullwidth_spaced", "line_break")
_NUMBER_WEIGHTS = (4, 2, 2, 2, 1, 1)


def _variant(rng: random.Random, allow_break: bool) -> str:
    variants, weights = _NUMBER_VARIANTS, _NUMBER_WEIGHTS
    if not allow_break:
        variants, weights = variants[:-1], weights[:-1]
    return rng.choices(variants, weights)[0]


def my_number_digits(rng: random.Random, *, valid: bool = True) -> str:
    if valid:
        base = digits(rng, 11, first_nonzero=True)
        return base + str(my_number_check_digit(base))
    while True:  # invalid, and not a (structurally) valid driver's licence either
        base = digits(rng, 11, first_nonzero=True)
        number = base + _wrong_digit(rng, my_number_check_digit(base))
        if not is_valid_driver_license(number):
            return number


def my_number(rng: random.Random, *, valid: bool = True, allow_break: bool = True) -> Piece:
    variant = _variant(rng, allow_break)
    text = _layout(my_number_digits(rng, valid=valid), (4, 4, 4), variant)
    return Piece(text, MY_NUMBER, None if valid else INVALID_CHECK_DIGIT, variant)


def corporate_number(rng: random.Random, *, valid: bool = True) -> list[Inline]:
    base = digits(rng, 12, first_nonzero=True)
    right = corporate_check_digit(base)
    number = (str(right) if valid else _wrong_digit(rng, right)) + base
    variant = rng.choices(("plain", "fullwidth", "invoice"), (3, 1, 1))[0]
    decoy = None if valid else INVALID_CHECK_DIGIT
    text = fullwidth(number) if variant == "fullwidth" else number
    piece = Piece(text, CORPORATE_NUMBER, decoy, variant)
    return ["T", piece] if variant == "invoice" else [piece]  # 適格請求書 registration no.


_CARD_PREFIXES = (("4", 16), ("51", 16), ("53", 16), ("55", 16), ("3528", 16), ("3589", 16),
                  ("34", 15), ("37", 15))


def credit_card(rng: random.Random, *, valid: bool = True, allow_break: bool = True) -> Piece:
    prefix, length = rng.choice(_CARD_PREFIXES)
    payload = prefix + digits(rng, length - len(prefix) - 1)
    right = luhn_check_digit(payload)
    number = payload + (str(right) if valid else _wrong_digit(rng, right))
    sizes = (4, 4, 4, 4) if length == 16 else (4, 6, 5)
    variant = _variant(rng, allow_break)
    decoy = None if valid else INVALID_CHECK_DIGIT
    return Piece(_layout(number, sizes, variant), CREDIT_CARD, decoy, variant)


def postal_code(rng: random.Random) -> list[Inline]:
    code = f"{digits(rng, 3)}-{digits(rng, 4)}"
    variant = rng.choices(("plain", "fullwidth", "no_hyphen", "labelled"), (5, 2, 1, 1))[0]
    if variant == "fullwidth":
        return ["〒", Piece(fullwidth(code), POSTAL_CODE, variant=variant)]
    if variant == "no_hyphen":
        return ["〒", Piece(code.replace("-", ""), POSTAL_CODE, variant=variant)]
    if variant == "labelled":
        return ["郵便番号 ", Piece(code, POSTAL_CODE, variant=variant)]
    return ["〒", Piece(code, POSTAL_CODE, variant=variant)]


# (prefix, lengths of the remaining groups): fixed lines by area code, mobile, IP, free dial.
_PHONE_PLANS = (
    ("fixed", "03", (4, 4)), ("fixed", "06", (4, 4)), ("fixed", "048", (3, 4)),
    ("fixed", "043", (3, 4)), ("fixed", "045", (3, 4)), ("fixed", "052", (3, 4)),
    ("fixed", "076", (3, 4)), ("fixed", "092", (3, 4)), ("fixed", "0480", (2, 4)),
    ("fixed", "0470", (2, 4)), ("mobile", "090", (4, 4)), ("mobile", "080", (4, 4)),
    ("mobile", "070", (4, 4)), ("ip", "050", (4, 4)), ("free", "0120", (3, 3)),
    ("free", "0800", (3, 4)),
)


def phone(rng: random.Random, *, kind: str | None = None) -> Piece:
    plans = [p for p in _PHONE_PLANS if kind is None or p[0] == kind]
    plan, prefix, sizes = rng.choice(plans)
    groups = [digits(rng, n) for n in sizes]
    # Local exchange numbers never start with 0 or 1 (mobile/IP: never 0).
    groups[0] = str(rng.randint(2 if plan == "fixed" else 1, 9)) + groups[0][1:]
    styles = ["hyphen", "hyphen", "hyphen", "plain", "fullwidth", "spaced"]
    if plan == "fixed":
        styles += ["parens", "area_parens"]
    if plan != "free":
        styles += ["intl", "intl_spaced"]
    style = rng.choice(styles)
    return Piece(_phone_text(prefix, groups, style), PHONE, variant=f"{plan}_{style}")


def _phone_text(prefix: str, groups: list[str], style: str) -> str:
    if style == "plain":
        return prefix + "".join(groups)
    if style == "fullwidth":
        return fullwidth("-".join([prefix, *groups]))
    if style == "spaced":
        return " ".join([prefix, *groups])
    if style == "parens":
        return f"{prefix}({groups[0]}){groups[1]}"
    if style == "area_parens":
        return f"({prefix}){groups[0]}-{groups[1]}"
    if style == "intl":
        return "-".join(["+81", prefix[1:], *groups])
    if style == "intl_spaced":
        return " ".join(["+81", prefix[1:], *groups])
    return "-".join([prefix, *groups])


@dataclass(frozen=True)
class Name:
    surname: str
    given: str
    surname_romaji: str
    given_romaji: str


def name(rng: random.Random) -> Name:
    surname, surname_r = rng.choice(pools.SURNAMES)
    given, given_r = rng.choice(pools.GIVEN_NAMES)
    return Name(surname, given, surname_r, given_r)


def person(rng: random.Random, who: Name | None = None) -> Piece:
    who = who or name(rng)
    variant = rng.choices(("joined", "space", "ideographic_space"), (3, 2, 3))[0]
    sep = {"joined": "", "space": " ", "ideographic_space": "\u3000"}[variant]
    return Piece(f"{who.surname}{sep}{who.given}", PERSON, variant=variant)


def email(rng: random.Random, who: Name | None = None) -> Piece:
    who = who or name(rng)
    local = rng.choice((
        f"{who.surname_romaji}.{who.given_romaji}",
        f"{who.given_romaji[0]}-{who.surname_romaji}",
        f"{who.surname_romaji}{rng.randint(1, 99)}",
        f"{who.given_romaji}_{who.surname_romaji[:3]}",
    ))
    return Piece(f"{local}@{rng.choice(pools.EMAIL_DOMAINS)}", EMAIL)


def _block(rng: random.Random) -> tuple[str, str]:
    chome, ban, go = rng.randint(1, 9), rng.randint(1, 40), rng.randint(1, 25)
    variant = rng.choices(("hyphen", "fullwidth", "chome", "kanji_chome", "banchi"),
                          (4, 2, 2, 1, 1))[0]
    if variant == "hyphen":
        return f"{chome}-{ban}-{go}", variant
    if variant == "fullwidth":
        return fullwidth(f"{chome}-{ban}-{go}"), variant
    if variant == "chome":
        return f"{chome}丁目{ban}番{go}号", variant
    if variant == "kanji_chome":
        return f"{pools.KANJI_DIGITS[chome]}丁目{ban}番{go}号", variant
    return f"{rng.randint(1, 2999)}番地", variant


def address(rng: random.Random, *, building: bool | None = None) -> list[Inline]:
    if rng.random() < 0.15:
        head, prefix_variant = rng.choice(pools.DESIGNATED_CITY_WARDS), "no_prefecture_"
    else:
        pref, city = rng.choice(pools.MUNICIPALITIES)
        head, prefix_variant = pref + city, ""
    block, variant = _block(rng)
    piece = Piece(head + rng.choice(pools.TOWNS) + block, ADDRESS,
                  variant=prefix_variant + variant)
    if building is None:
        building = rng.random() < 0.3
    if not building:
        return [piece]
    return [piece, f"\u3000{rng.choice(pools.BUILDINGS)}{rng.randint(1, 12)}階"]


def bank_account(rng: random.Random) -> list[Inline]:
    kind = rng.choice(("普通", "普通預金", "当座"))
    number = digits(rng, 7)
    labelled = rng.random() < 0.5
    return [f"{rng.choice(pools.BANKS)}\u3000{rng.choice(pools.BRANCHES)}\u3000{kind}\u3000",
            "口座番号 " if labelled else "", Piece(number, BANK_ACCOUNT, variant="context")]


def passport(rng: random.Random) -> Piece:
    prefix = rng.choice(("TK", "TR", "TZ", "MZ", "MU", "TS", "TH"))
    return Piece(prefix + digits(rng, 7), PASSPORT, variant="structure_only")


def residence_card(rng: random.Random) -> Piece:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    head = "".join(rng.choice(letters) for _ in range(2))
    tail = "".join(rng.choice(letters) for _ in range(2))
    return Piece(head + digits(rng, 8) + tail, RESIDENCE_CARD, variant="structure_only")


_LICENSE_AREAS = ("10", "22", "30", "40", "43", "44", "45", "51", "54", "62", "90", "97")


def driver_license(rng: random.Random) -> Piece:
    first10 = rng.choice(_LICENSE_AREAS) + f"{rng.randint(0, 99):02d}" + digits(rng, 6)
    number = first10 + str(driver_license_check_digit(first10)) + rng.choice("0001")
    return Piece(number, DRIVER_LICENSE, variant="structure_only")


_OWN_LINE_MARKINGS = ("秘", "【秘】", "㊙", "極秘", "取扱注意", "部外秘", "関係者限り", "機密性２",
                      "機密性3", "機密性２（中）", "機密性1", "親展", "CONFIDENTIAL",
                      "【取扱注意】", "【機密性２】", "【極秘】")
_INLINE_MARKINGS = ("【秘】", "【取扱注意】", "【機密性２】", "【部外秘】", "複製禁止",
                    "持ち出し禁止", "配布禁止", "読後廃棄", "所属長限り", "外部提供禁止",
                    "【関係者限り】", "【極秘】")


def marking(rng: random.Random, *, own_line: bool) -> Piece:
    text = rng.choice(_OWN_LINE_MARKINGS if own_line else _INLINE_MARKINGS)
    return Piece(text, MARKING, variant="own_line" if own_line else "inline")


# --- decoys ------------------------------------------------------------------------------


def date(rng: random.Random) -> Piece:
    year, month, day = rng.randint(2019, 2025), rng.randint(1, 12), rng.randint(1, 28)
    text = rng.choice((
        f"{year}-{month:02d}-{day:02d}", f"{year}/{month}/{day}", f"{year}年{month}月{day}日",
        f"令和{year - 2018}年{month}月{day}日", f"R{year - 2018}.{month}.{day}",
        fullwidth(f"{year}-{month:02d}-{day:02d}"),
    ))
    return Piece(text, None, DATE)


def birth_date(rng: random.Random) -> Piece:
    era, year = rng.choice((("昭和", rng.randint(30, 63)), ("平成", rng.randint(1, 30))))
    return Piece(f"{era}{year}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日", None, DATE)


def order_number(rng: random.Random) -> Piece:
    text = rng.choice((
        f"PO-{rng.randint(2019, 2025)}-{digits(rng, 6)}",
        f"{digits(rng, 4, first_nonzero=True)}-{digits(rng, 4)}-{digits(rng, 2)}",
        f"R{rng.randint(1, 7)}-{digits(rng, 5)}", f"第{rng.randint(1, 9999)}号",
        f"{digits(rng, 2, first_nonzero=True)}-{digits(rng, 4)}-{digits(rng, 4)}",
    ))
    return Piece(text, None, ORDER_NUMBER)


def amount(rng: random.Random) -> Piece:
    value = f"{rng.randint(1_000, 99_999_999):,}"
    text = rng.choice((f"¥{value}", f"{value}円", f"金{value}円", f"￥{value}"))
    return Piece(text, None, AMOUNT)


def phone_like_amount(rng: random.Random) -> Piece:
    """10-11 digits with no separators, like a phone number without its leading 0."""
    return Piece(digits(rng, rng.choice((10, 11)), first_nonzero=True) + "円", PHONE,
                 PHONE_LIKE_AMOUNT)


def invoice_number(rng: random.Random) -> Piece:
    """A 12-digit document number failing the My Number check digit (and the licence one)."""
    while True:
        number = f"{rng.randint(2019, 2025)}" + digits(rng, 7)
        number += _wrong_digit(rng, my_number_check_digit(number))
        if not is_valid_my_number(number) and not is_valid_driver_license(number):
            return Piece(number, MY_NUMBER, INVALID_CHECK_DIGIT, "invoice_number")


def marking_lookalike_sentence(rng: random.Random) -> list[Inline]:
    word, before, after = rng.choice((
        ("秘密", "職員は、職務上知り得た", "を漏らしてはならない。"),
        ("秘書課", "日程の調整は", "が行う。"),
        ("取扱注意事項", "別添の", "を遵守すること。"),
        ("極秘裏", "本件は", "に進めるべき案件ではない。"),
        ("持ち出し手続", "媒体の", "については、別に定める。"),
    ))
    return [before, Piece(word, MARKING, MARKING_LOOKALIKE), after]
