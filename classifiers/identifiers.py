"""Numeric personal identifiers with a check digit: My Number, corporate number, credit card,
driver's licence. Each is a presidio ``PatternRecognizer``; ``validate_result`` is the check.

Scores without context stay moderate: 1 in 11 random 12-digit strings passes the My Number
check, so a context word (マイナンバー, 個人番号, ...) within 40 characters before the match is
what makes a finding near-certain (classifiers.base.Context). A profile may set ``min_score``
on a floor rule to ignore context-free finds.
"""

from __future__ import annotations

from classifiers.base import Context, JaPatternRecognizer, Spec, Triggers, digits_only
from classifiers.checkdigits import (
    is_valid_corporate_number,
    is_valid_driver_license,
    is_valid_my_number,
    luhn_valid,
)
from classifiers.numbers import GROUP_SEP, digits, line_breaks, opening, whole, whole_spaced


def numeric(min_digits: int) -> Triggers:
    """Numbers are their own trigger: a cluster with at least ``min_digits`` digits (a My
    Number view never holds postal codes); lookarounds look only a few characters beyond."""
    return Triggers(numeric=min_digits, radius=16)


class _CheckedNumber(JaPatternRecognizer):
    """Digits only are validated and hashed; a number broken over more than two lines is
    more likely a column of short numbers than one identifier."""

    def canonical(self, value: str) -> str:
        return digits_only(value)

    def invalidate_result(self, pattern_text: str) -> bool | None:
        return True if line_breaks(pattern_text) > 2 else None

    def check(self, value: str) -> bool:
        raise NotImplementedError

    def validate_result(self, pattern_text: str) -> bool | None:
        # None, not True: a passed check digit keeps the pattern score (see classifiers.base).
        return None if self.check(self.canonical(pattern_text)) else False


class MyNumberRecognizer(_CheckedNumber):
    """個人番号: 12 digits, the last the official check digit; in a row, or 4-4-4 separated by
    spaces, dashes or line breaks (after NFKC, so full-width digits and dashes too)."""

    ENTITY = "JP_MY_NUMBER"
    # Separators between all three groups or none (the contiguous pattern): "5241 12345678"
    # is a short number beside a longer one, not a grouped My Number.
    _GROUPED = f"{digits(4)}{GROUP_SEP}{digits(4)}{GROUP_SEP}{digits(4)}"
    PATTERNS = (
        whole("my_number", digits(12), 0.6),
        whole_spaced("my_number_4_4_4", _GROUPED, 0.6),
    )
    CONTEXT = Context(("マイナンバー", "個人番号", "my number", "mynumber", "individual number"))
    TRIGGERS = numeric(12)

    def check(self, value: str) -> bool:
        return is_valid_my_number(value)


# Right after a T (or "T " / "T-") that follows no letter or digit: an invoice registration
# number (fixed-width look-behinds for the stdlib engine, each testing the T first).
_AFTER_T = r"(?:(?<=T)(?<![0-9A-Za-z]T)|(?<=T[ \-])(?<![0-9A-Za-z]T[ \-]))"


class CorporateNumberRecognizer(_CheckedNumber):
    """法人番号: 13 digits, the FIRST a check digit; "T" + 法人番号 is the invoice registration
    number (適格請求書発行事業者登録番号), which names the corporation outright."""

    ENTITY = "JP_CORPORATE_NUMBER"
    PATTERNS = (
        whole("corporate_number", digits(13), 0.5),  # START refuses a T before it
        # The span is the 13 digits (the corporate number itself), after the T. Stdlib re:
        # fixed-width look-behinds, 13 digits each after at most one line break (linear).
        Spec("invoice_registration", f"{opening(digits(13), _AFTER_T)}(?![0-9])", 0.85,
             engine="re"),
    )
    CONTEXT = Context(("法人番号", "登録番号", "会社", "法人", "corporate number"))
    TRIGGERS = numeric(13)

    def check(self, value: str) -> bool:
        return is_valid_corporate_number(value)


# (IIN prefixes, allowed lengths) per brand; a number outside every row is not a card.
_BRANDS: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...] = (
    (("4",), (13, 16, 19)),  # Visa
    (("51", "52", "53", "54", "55", *map(str, range(2221, 2721))), (16,)),  # Mastercard
    (("34", "37"), (15,)),  # American Express
    (tuple(map(str, range(3528, 3590))), (16, 17, 18, 19)),  # JCB
    (("300", "301", "302", "303", "304", "305", "3095", "36", "38", "39"),
     (14, 15, 16, 17, 18, 19)),  # Diners Club
    (("6011", "65", *map(str, range(644, 650))), (16, 17, 18, 19)),  # Discover
    (("62",), (16, 17, 18, 19)),  # UnionPay
)


def known_card_brand(value: str) -> bool:
    return any(
        len(value) in lengths and value.startswith(prefixes) for prefixes, lengths in _BRANDS
    )


class CreditCardRecognizer(_CheckedNumber):
    """Card numbers: 13-19 digits in a row, 4-4-4-4, or Amex/Diners 4-6-5 / 4-6-4, with a
    known issuer prefix and length and a valid Luhn digit."""

    ENTITY = "CREDIT_CARD"
    _SEP = GROUP_SEP  # between every group, or (pattern "card") none at all
    PATTERNS = (
        # Each opens with a single [0-9] (classifiers.numbers.opening): 13-19 digits, etc.
        whole("card", "[0-9][0-9]{12,18}", 0.6),
        whole_spaced("card_4x4",
                     f"[0-9][0-9]{{3}}(?:{_SEP}[0-9]{{4}}){{3}}(?:{_SEP}[0-9]{{3}})?", 0.6),
        whole_spaced("card_4_6_5", f"[0-9][0-9]{{3}}{_SEP}[0-9]{{6}}{_SEP}[0-9]{{4,5}}", 0.6),
    )
    CONTEXT = Context(("カード", "クレジット", "card", "visa", "jcb", "有効期限", "決済"),
                      boost=0.35)
    TRIGGERS = numeric(13)

    def check(self, value: str) -> bool:
        return known_card_brand(value) and luhn_valid(value)


class DriverLicenseRecognizer(_CheckedNumber):
    """運転免許証番号: 12 digits — issuer code, year, serial, check digit (the 11th), re-issue
    count. Shape-alike of a My Number, so it needs 免許 nearby (REPORT_THRESHOLD)."""

    ENTITY = "JP_DRIVER_LICENSE"
    PATTERNS = (whole("driver_license", digits(12), 0.2),)
    CONTEXT = Context(("免許", "driver", "licence", "license"), boost=0.6)
    TRIGGERS = numeric(12)
    REPORT_THRESHOLD = 0.5

    def check(self, value: str) -> bool:
        return is_valid_driver_license(value)
