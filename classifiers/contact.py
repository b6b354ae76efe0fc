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
from phonenumbers import PhoneMetadata, PhoneNumberDesc

from classifiers.base import DASHES, Context, JaPatternRecognizer, Spec, Triggers, digits_only
from classifiers.gazetteer import gazetteer
from classifiers.identifiers import numeric
from classifiers.numbers import END, NumberSpec, opening, whole, whole_spaced

_DASH = rf" *[{DASHES}] *"
# An area code in parentheses, (03) / (0467), or before a dash or a "(": written to open
# with one character class (classifiers.numbers.opening), then told apart by look-behinds.
_AREA = rf"[(0](?:(?<=\()0[0-9]{{1,4}}\) *|(?<=0)[0-9]{{1,4}}(?:{_DASH}| *\())"
_LOCAL = rf"[0-9]{{1,4}}(?:{_DASH}|\) *)"
_SPACED = r"0[0-9]{1,4} +[0-9]{1,4} +[0-9]{3,4}"
_INTERNATIONAL = opening(
    rf"\+81[ {DASHES}]*(?:\(0\)[ {DASHES}]*)?[1-9][0-9]{{0,3}}"
    rf"(?:{_DASH}| +)?[0-9]{{1,4}}(?:{_DASH}| +)?[0-9]{{3,4}}{END}",
    r"(?<![0-9A-Za-z+])",
)


def national_digits(value: str) -> str:
    """0-prefixed national digits of a matched phone number (+81 (0)3 ... -> 03...)."""
    digits = digits_only(value)
    if value.lstrip().startswith("+81"):
        rest = digits[2:]
        return rest if rest.startswith("0") else "0" + rest
    return digits


_DIGIT_GROUPS = re.compile("[0-9]+")


def _area_code(value: str) -> str | None:
    """The area code as written (None when the number is written without separators)."""
    groups = _DIGIT_GROUPS.findall(value)
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


# phonenumbers' number types, in the order its validity test (is_valid_number: the number
# type is not UNKNOWN) tries them.
_NUMBER_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number",
                 "pager", "uan", "voicemail", "fixed_line", "mobile")


def _describes(desc: PhoneNumberDesc | None, length: int) -> bool:
    """Whether phonenumbers matches numbers of ``length`` digits against ``desc``'s pattern
    (it skips a description without a pattern or whose possible lengths exclude it)."""
    if desc is None or not desc.national_number_pattern:
        return False
    return not desc.possible_length or length in desc.possible_length


def _plan_patterns() -> dict[int, re.Pattern[str]]:
    """phonenumbers.is_valid_number for a Japanese number, one regex per length of the
    national significant number: the general description and one of the number types match
    it whole. Built from phonenumbers' own metadata, so the answers are its answers (tested
    against it), at one match instead of a region lookup and up to eleven matches."""
    plan = PhoneMetadata.metadata_for_region("JP")
    if plan is None or plan.general_desc is None:
        raise RuntimeError("phonenumbers has no numbering plan for JP")
    patterns = {}
    for length in (9, 10):  # 10 or 11 national digits, without the leading 0
        types = [desc.national_number_pattern for desc in
                 (getattr(plan, name) for name in _NUMBER_TYPES) if _describes(desc, length)]
        if _describes(plan.general_desc, length) and types:
            general = plan.general_desc.national_number_pattern
            alternatives = "|".join(f"(?:{pattern})" for pattern in types)
            patterns[length] = re.compile(rf"(?=(?:{general})\Z)(?:{alternatives})")
    return patterns


_PLAN = _plan_patterns()


def in_numbering_plan(national: str) -> bool:
    """Whether phonenumbers.is_valid_number holds for ``national`` (0 + 9 or 10 digits)."""
    pattern = _PLAN.get(len(national) - 1)
    return pattern is not None and pattern.fullmatch(national, 1) is not None


def is_japanese_phone_number(value: str) -> bool:
    """A valid number of the Japanese numbering plan, its area code written plausibly."""
    national = national_digits(value)
    if len(national) not in (10, 11) or not national.startswith("0") or national[1] == "0":
        return False
    if not in_numbering_plan(national):
        return False
    area = _area_code(value)
    return area is None or _plausible_area(area, _planned_area(national))


_AREAS: dict[tuple[str, int], str] = {}


def _planned_area(national: str) -> str:
    """The plan's area code of ``national``. The plan groups digits by their leading digits
    only, so the answer is remembered per 7-digit prefix and length (a bounded cache)."""
    key = (national[:7], len(national))
    area = _AREAS.get(key)
    if area is None:
        # Built directly: phonenumbers.parse would re-derive what the regex established.
        number = phonenumbers.PhoneNumber(country_code=81, national_number=int(national[1:]))
        formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        area = formatted.split("-")[0]
        if len(_AREAS) >= 4096:
            _AREAS.clear()
        _AREAS[key] = area
    return area


class PhoneRecognizer(JaPatternRecognizer):
    ENTITY = "PHONE_NUMBER"
    PATTERNS = (
        whole("phone_separated", f"{_AREA}{_LOCAL}[0-9]{{3,4}}", 0.6),
        whole_spaced("phone_spaced", _SPACED, 0.5),
        # Stdlib re: a fixed-width look-behind; bounded digit counts, and runs of spaces or
        # dashes each followed by a digit or "(", so backtracking stays linear.
        Spec("phone_international", _INTERNATIONAL, 0.7, engine="re"),
        # Unseparated numbers are common in tables (a 電話番号 column); the numbering-plan check
        # keeps them apart from order numbers, context makes them certain.
        whole("phone_unseparated", "0[0-9]{9,10}", 0.45),
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
_MAILBOX = r"[A-Za-z0-9._%+\-]"  # a character of the part before the @
# For the stdlib engine (opening: the fixed-width look-behind after the first character).
# Backtracking stays polynomial: the mailbox is bounded and cannot hold the @, and labels
# are bounded and end only where a dot follows.
_EMAIL = opening(
    rf"{_MAILBOX}{_MAILBOX}{{0,63}}@"
    rf"{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,63}}(?![A-Za-z0-9\-]|\.[A-Za-z0-9])",
    f"(?<!{_MAILBOX})",
)


class EmailRecognizer(JaPatternRecognizer):
    ENTITY = "EMAIL_ADDRESS"
    PATTERNS = (Spec("email", _EMAIL, 0.85, engine="re"),)
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
    _CODE = rf"[0-9][0-9]{{2}}(?:{_DASH})?[0-9]{{4}}"  # opens with one [0-9] (numbers.opening)
    PATTERNS = (
        # After 〒 and any spaces: the stdlib pattern takes a 〒 or a space right before the
        # code, NumberSpec checks for the 〒 behind the spaces.
        NumberSpec("postal_mark", f"{opening(_CODE, '(?<=[〒 ])')}{END}", 0.9,
                   start="(?<=〒 *)"),
        whole("postal_bare", rf"[0-9][0-9]{{2}}{_DASH}[0-9]{{4}}", 0.2),
    )
    # A prefecture right AFTER the code (330-0063 埼玉県...) is context too: ``after`` covers it.
    CONTEXT = Context(("郵便", "〒", "住所", "所在地", "送付先", "届け先", "zip", "postal",
                       *gazetteer().prefectures), after=8, boost=0.55)
    TRIGGERS: ClassVar[Triggers | None] = numeric(7)
    REPORT_THRESHOLD = 0.5

    def canonical(self, value: str) -> str:
        return digits_only(value)
