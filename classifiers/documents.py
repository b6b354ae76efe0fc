"""Identifiers without a check digit: bank account, passport, residence card.

Their shapes are common (7 digits; two letters and seven digits), so context decides: a
bank account needs 口座番号/普通/当座/支店... within the window before it, a passport needs
旅券/パスポート (``REPORT_THRESHOLD`` drops the rest). A residence card number (two letters, eight
digits, two letters) is distinctive enough to report alone at a moderate score.
"""

from __future__ import annotations

from typing import ClassVar

from classifiers.base import DASHES, Context, JaPatternRecognizer, Spec, Triggers, digits_only
from classifiers.identifiers import numeric
from classifiers.numbers import whole

_DASH = rf" *[{DASHES}] *"


class BankAccountRecognizer(JaPatternRecognizer):
    """口座番号: 7 digits, optionally after the 3-digit branch (店番-口座番号); ゆうちょ銀行:
    記号 (5 digits, starting with 1) and 番号 (up to 8 digits)."""

    ENTITY = "JP_BANK_ACCOUNT"
    PATTERNS = (
        # Written to open with one digit class (classifiers.numbers.opening): a leading
        # optional group costs the regex engine its first-character skip (30x slower).
        whole("account", rf"[0-9][0-9]{{2}}(?:{_DASH}[0-9]{{7}}|[0-9]{{4}})", 0.1),
        whole("yucho", rf"1[0-9]{{4}}{_DASH}[0-9]{{5,8}}", 0.1),
    )
    CONTEXT = Context(
        ("口座", "普通", "当座", "貯蓄", "預金", "支店", "店番", "振込", "振替", "ゆうちょ",
         "記号", "銀行", "金庫", "信組", "account"),
        boost=0.6,
    )
    TRIGGERS: ClassVar[Triggers | None] = numeric(7)
    REPORT_THRESHOLD = 0.5

    def canonical(self, value: str) -> str:
        return digits_only(value)


class PassportRecognizer(JaPatternRecognizer):
    """旅券番号: two upper-case letters and seven digits (TK1234567), with context."""

    ENTITY = "JP_PASSPORT"
    PATTERNS = (Spec("passport", r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{7}(?![A-Za-z0-9])", 0.1),)
    CONTEXT = Context(("旅券", "パスポート", "passport"), boost=0.7)
    TRIGGERS: ClassVar[Triggers | None] = numeric(7)
    REPORT_THRESHOLD = 0.5


class ResidenceCardRecognizer(JaPatternRecognizer):
    """在留カード番号 (and 特別永住者証明書番号): two letters, eight digits, two letters."""

    ENTITY = "JP_RESIDENCE_CARD"
    PATTERNS = (
        Spec("residence_card", r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{8}[A-Z]{2}(?![A-Za-z0-9])", 0.45),
    )
    CONTEXT = Context(("在留カード", "在留", "特別永住者", "residence card"), boost=0.45)
    TRIGGERS: ClassVar[Triggers | None] = numeric(8)
    REPORT_THRESHOLD = 0.4
