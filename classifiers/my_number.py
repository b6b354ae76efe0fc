"""個人番号 (My Number): 12 digits whose last digit is the official check digit.

The check digit (検査用数字, fixed by 総務省令 under the My Number Act): number the first
11 digits P_n from the RIGHT (n = 1..11), weight Q_n = n + 1 for n <= 6 and n - 5 for
n >= 7, r = sum(P_n * Q_n) mod 11, check digit = 0 if r <= 1 else 11 - r.
A number failing it is never reported, whatever its context.

Accepted shapes (after NFKC, so full-width digits and separators are covered): 12 digits
in a row, or three groups of four separated by spaces, a dash or a line break. A match
that continues a longer digit chain (13+ digits, a 16-digit card number in 4-4-4-4) is not
a My Number.
"""

from __future__ import annotations

import re
from typing import ClassVar

from classifiers.recognizer import Pattern, PatternRecognizer

_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc"
_SEP = rf"[ \t]*(?:[{_DASHES}][ \t]*)?(?:\r?\n[ \t]*)?"
_GROUPED = re.compile(
    rf"(?<![0-9])[0-9]{{4}}{_SEP}[0-9]{{4}}{_SEP}[0-9]{{4}}(?![0-9])"
)
# A digit joined to the match by a dash, or (when the match is itself spaced) by spaces.
_DASH_AFTER = re.compile(rf"[ \t]*[{_DASHES}][ \t]*[0-9]")
_DASH_BEFORE = re.compile(rf"[0-9][ \t]*[{_DASHES}][ \t]*\Z")
_SPACE_AFTER = re.compile(r"[ \t]+[0-9]")
_SPACE_BEFORE = re.compile(r"[0-9][ \t]+\Z")


def my_number_check_digit(first11: str) -> int:
    """The check digit for the first 11 digits of a 個人番号."""
    if len(first11) != 11 or not first11.isascii() or not first11.isdigit():
        raise ValueError("need exactly 11 ASCII digits")
    total = 0
    for n in range(1, 12):
        p = int(first11[11 - n])
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    r = total % 11
    return 0 if r <= 1 else 11 - r


def is_valid_my_number(digits: str) -> bool:
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        return False
    return my_number_check_digit(digits[:11]) == int(digits[11])


class MyNumberRecognizer(PatternRecognizer):
    name: ClassVar[str] = "MyNumberRecognizer"
    entity_type: ClassVar[str] = "JP_MY_NUMBER"
    # 1 in 10 random 12-digit strings passes the check digit: without a context word the
    # score stays moderate, and a profile may set min_score on the floor rule.
    patterns: ClassVar[tuple[Pattern, ...]] = (Pattern("my_number_4_4_4", _GROUPED, 0.6),)
    context_words: ClassVar[tuple[str, ...]] = (
        "マイナンバー", "個人番号", "my number", "mynumber", "individual number",
    )

    def canonical(self, matched: str) -> str:
        return "".join(ch for ch in matched if "0" <= ch <= "9")

    def validate(self, value: str) -> bool:
        return is_valid_my_number(value)

    def reject(self, text: str, match: re.Match[str]) -> bool:
        after = text[match.end() : match.end() + 8]
        before = text[max(0, match.start() - 8) : match.start()]
        if _DASH_AFTER.match(after) or _DASH_BEFORE.search(before):
            return True
        spaced = not match.group(0).isdigit()
        return spaced and bool(_SPACE_AFTER.match(after) or _SPACE_BEFORE.search(before))
