"""Contact data: phone numbers, e-mail addresses, postal codes.

Phone numbers are Japanese: fixed lines (03-1234-5678, 045-123-4567, 0467-12-3456, (03)1234-5678),
mobile 070/080/090, IP 050, free dial 0120/0800, navi dial 0570, and +81 forms; full-width
forms arrive folded by NFKC. Every candidate is checked against the national numbering plan
(``phonenumbers``, the library presidio's own PhoneRecognizer uses), so 01-2345-6789 or a
dashed order number is not a phone. An unseparated 10/11-digit run needs a context word.

E-mail addresses are validated here, without tldextract: presidio's EmailRecognizer asks
tldextract, which may fetch the Public Suffix List over the network (issue 3: no network).
"""

from __future__ import annotations

import re
from typing import ClassVar

import phonenumbers

from classifiers.base import DASHES, Context, JaPatternRecognizer, Spec, Triggers, digits_only
from classifiers.gazetteer import gazetteer
from classifiers.identifiers import numeric
from classifiers.numbers import END, END_SPACED, START, START_SPACED, whole

_DASH = rf" *[{DASHES}] *"
_AREA = rf"(?:\(0[0-9]{{1,4}}\) *|0[0-9]{{1,4}}(?:{_DASH}| *\())"
_LOCAL = rf"[0-9]{{1,4}}(?:{_DASH}|\) *)"
_SPACED = r"0[0-9]{1,4} +[0-9]{1,4} +[0-9]{3,4}"
_INTERNATIONAL = (
    rf"(?<![0-9A-Za-z+])\+81[ {DASHES}]*(?:\(0\)[ {DASHES}]*)?[1-9][0-9]{{0,3}}"
    rf"(?:{_DASH}| +)?[0-9]{{1,4}}(?:{_DASH}| +)?[0-9]{{3,4}}{END}"
)


def national_digits(value: str) -> str:
    """0-prefixed national digits of a matched phone number (+81 (0)3 ... -> 03...)."""
    digits = digits_only(value)
    if value.lstrip().startswith("+81"):
        rest = digits[2:]
        return rest if rest.startswith("0") else "0" + rest
    return digits


def _area_code(value: str) -> str | None:
    """The area code as written (None when the number is written without separators)."""
    groups = re.findall(r"[0-9]+", value)
    if value.lstrip().startswith("+81"):
        groups = groups[1:]
        if groups and groups[0] == "0":  # +81 (0)3 ...
            groups = groups[1:]
        if groups:
            groups[0] = "0" + groups[0]
    return groups[0] if len(groups) > 1 else None


# The only two-digit area codes (東京 03, 04 (千葉・埼玉の一部), 大阪 06).
_TWO_DIGIT_AREAS = frozenset({"03", "04", "06"})


def _plausible_area(written: str, planned: str) -> bool:
    """Whether ``written`` is a way people write the plan's area code ``planned``: longer
    (0470-91-7850 is now 04-7091-7850), or shorter but itself a code (043-638-... for
    0436-38-...); never a cut that is no code at all (01-2345-6789 for 0123-45-6789)."""
    if written.startswith(planned):
        return True
    return planned.startswith(written) and (len(written) >= 3 or written in _TWO_DIGIT_AREAS)


def is_japanese_phone_number(value: str) -> bool:
    """A valid number of the Japanese numbering plan, its area code written plausibly."""
    national = national_digits(value)
    if len(national) not in (10, 11) or not national.startswith("0") or national[1] == "0":
        return False
    # Built directly: phonenumbers.parse would re-derive what the regex already established.
    number = phonenumbers.PhoneNumber(country_code=81, national_number=int(national[1:]))
    if not phonenumbers.is_valid_number(number):
        return False
    area = _area_code(value)
    return area is None or _plausible_area(area, _planned_area(national, number))


_AREAS: dict[tuple[str, int], str] = {}


def _planned_area(national: str, number: phonenumbers.PhoneNumber) -> str:
    """The plan's area code of ``national``. The plan groups digits by their leading digits
    only, so the answer is remembered per 7-digit prefix and length (a bounded cache)."""
    key = (national[:7], len(national))
    area = _AREAS.get(key)
    if area is None:
        formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        area = formatted.split("-")[0]
        if len(_AREAS) >= 4096:
            _AREAS.clear()
        _AREAS[key] = area
    return area


class PhoneRecognizer(JaPatternRecognizer):
    ENTITY = "PHONE_NUMBER"
    PATTERNS = (
        Spec("phone_separated", f"{START}{_AREA}{_LOCAL}[0-9]{{3,4}}{END}", 0.6),
        Spec("phone_spaced", f"{START_SPACED}{_SPACED}{END_SPACED}", 0.5),
        Spec("phone_international", _INTERNATIONAL, 0.7),
        # Unseparated numbers are common in tables (a 電話番号 column); the numbering-plan check
        # keeps them apart from order numbers, context makes them certain.
        Spec("phone_unseparated", whole(r"0[0-9]{9,10}"), 0.45),
    )
    CONTEXT = Context(
        ("電話", "tel", "fax", "携帯", "連絡先", "問合せ", "問い合わせ", "☎", "代表", "phone"),
        boost=0.35,
    )
    TRIGGERS: ClassVar[Triggers | None] = numeric(10)
    REPORT_THRESHOLD = 0.4

    def canonical(self, value: str) -> str:
        return national_digits(value)

    def validate_result(self, pattern_text: str) -> bool | None:
        return None if is_japanese_phone_number(pattern_text) else False


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_EMAIL = (
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@"
    rf"{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,63}}(?![A-Za-z0-9\-]|\.[A-Za-z0-9])"
)


class EmailRecognizer(JaPatternRecognizer):
    ENTITY = "EMAIL_ADDRESS"
    PATTERNS = (Spec("email", _EMAIL, 0.85),)
    CONTEXT = Context(("メール", "mail", "e-mail", "連絡先"), boost=0.1)
    TRIGGERS: ClassVar[Triggers | None] = Triggers(words=("@",))

    def canonical(self, value: str) -> str:
        return value.strip().lower()

    def validate_result(self, pattern_text: str) -> bool | None:
        local = pattern_text.split("@", 1)[0]
        bad = local.startswith(".") or local.endswith(".") or ".." in local
        return False if bad else None


class PostalCodeRecognizer(JaPatternRecognizer):
    """郵便番号 NNN-NNNN: after 〒, or with 郵便番号/住所 before or a prefecture name after it.
    A bare NNN-NNNN (a part number, an order number) is not reported."""

    ENTITY = "JP_POSTAL_CODE"
    _CODE = rf"[0-9]{{3}}(?:{_DASH})?[0-9]{{4}}"
    PATTERNS = (
        Spec("postal_mark", rf"(?<=〒 *){_CODE}{END}", 0.9),
        Spec("postal_bare", whole(rf"[0-9]{{3}}{_DASH}[0-9]{{4}}"), 0.2),
    )
    # A prefecture right AFTER the code (330-0063 埼玉県...) is context too: ``after`` covers it.
    CONTEXT = Context(("郵便", "〒", "住所", "所在地", "送付先", "届け先", "zip", "postal",
                       *gazetteer().prefectures), after=8, boost=0.55)
    TRIGGERS: ClassVar[Triggers | None] = numeric(7)
    REPORT_THRESHOLD = 0.5

    def canonical(self, value: str) -> str:
        return digits_only(value)
