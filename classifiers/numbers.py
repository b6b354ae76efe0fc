"""Building blocks for the regexes of numeric identifiers.

A number counts only as a whole: never as part of a longer digit chain (13 digits are not a
My Number, 4-4-4-4 is a card, not a My Number plus four digits), and never as an amount
(¥1,234,567 / 1234567円). Line breaks may split a number anywhere (PDF extraction wraps
lines), and group separators are spaces, dashes or a line break (issue 3). A TAB is never
part of a number: it separates table columns (extracted spreadsheets, DOCX tables), so
"電話\t口座番号" columns stay two numbers.

Engines: the numeric patterns run on the stdlib ``re`` engine. Numbers are dense in the text
these patterns see (windows around digit clusters, classifiers.prefilter), and a pattern
that opens with a character class lets ``re`` skip in C to the characters that may start a
match; a pattern that opens with a look-behind, as the ``regex`` module needs for START,
is tried at every position (3-4x slower). So each pattern opens with its first character
and checks what precedes it right after it (``opening``). ``re`` look-behinds are
fixed-width, and the START rules skip any run of spaces (``¥   1,000``, ``12 - 3456``, a
table column "4594      6928"): ``NumberSpec`` checks those exactly with the ``regex``
module, only where a space or a dash precedes a match.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import regex

from classifiers.base import DASHES, REGEX_TIMEOUT_SECONDS, CompiledSpec, Spec

# A digit, then n-1 more, each possibly after one line break.
_NL = r"(?:\r?\n)?"


def digits(n: int) -> str:
    return rf"[0-9](?:{_NL}[0-9]){{{n - 1}}}"


# Between digit groups: a dash (with spaces or a line break around it), spaces, or a break.
GROUP_SEP = rf"(?: *[{DASHES}] *(?:\r?\n *)?| +|\r?\n *)"
_JOINED = rf" *[{DASHES}] *"
_CURRENCY = "¥$€£"
_MONEY_BEFORE = f"[{_CURRENCY}]"
# 円, 万円, ドル, or a decimal/thousands separator and more digits (千 alone is 千葉 too).
_MONEY_AFTER = r" *(?:円|[万千億]円|ドル|[%,.][0-9])"

# The start rules, in ``regex`` module syntax (variable-width look-behinds); NumberSpec
# checks them where the stdlib pattern cannot.
# Not preceded by a digit, a letter or a currency sign, nor by a digit joined with a dash.
START = rf"(?<![0-9A-Za-z]|{_MONEY_BEFORE} *)(?<![0-9]{_JOINED})"
# A spaced number (1234 5678 9018) is continued by a group of up to four digits joined by
# spaces (the 4-4-4-4 of a card). A longer run, or a group that belongs to a dashed number,
# is a neighbouring table column (PDF text separates cells with spaces): "090-2015-4594
# 6928 9823 6918" is a phone and a My Number.
_GROUP = rf"(?<![0-9])(?<![0-9]{_JOINED})[0-9]{{1,4}}"
START_SPACED = rf"{START}(?<!{_GROUP} +)"
# The part of START that needs no run of spaces: what a number never follows directly.
NOT_AFTER = f"(?<![0-9A-Za-z{_CURRENCY}])"
# Only after one of these can START refuse what NOT_AFTER lets through: its other
# look-behinds end in a space (money, a spaced group) or in a dash (a dashed number).
_DOUBTFUL = frozenset(" " + DASHES.replace("\\", ""))

# The end rules, valid in both engines (look-aheads; fixed-width look-behinds).
# Not followed by a digit, by a dash and a digit, or by an amount's unit.
# A number wrapped onto the next line must not end as that line's list or row number
# ("…9283\n5．後藤", "…9428\n3\t斎藤"): 1-3 digits after a break, then . 、 ) : a TAB, a
# space or another break (a table cell of its own). The cheap test first: four digits
# before the end are no such row number. Re look-behinds are fixed-width, so at most
# ROW_INDENT spaces between the break and the digits count as the line's indent. Inside a
# match only a separator between groups puts spaces there ("1234 5678 9012 3456\n   789.",
# the 3-digit group of card_4x4); indented further, those digits are read as part of the
# number (the ``regex`` pattern had no bound; see test_classifiers_regex_engines).
ROW_INDENT = 16
_INDENT = "|".join(rf"(?<=\n {{{spaces}}})" for spaces in range(ROW_INDENT + 1))
_ROW_START = "|".join(rf"(?<=(?:{_INDENT})[0-9]{{{count}}})" for count in (1, 2, 3))
_ROW_NUMBER = rf"(?!(?=[.、):\t \r\n])(?<![0-9]{{4}})(?:{_ROW_START}))"
END = rf"(?![0-9])(?!{_JOINED}[0-9])(?!{_MONEY_AFTER}){_ROW_NUMBER}"
END_SPACED = rf"{END}(?! +[0-9]{{1,4}}(?![0-9])(?!{_JOINED}[0-9]))"

# One character or character class, not quantified: what a pattern must open with.
_FIRST = re.compile(r"(?:\[[^\]]+\]|\\\W|[^\\\[\](){}|*+?.^$])(?![*+?{])")


def opening(body: str, before: str) -> str:
    """``body`` with ``before`` (zero-width: fixed-width look-behinds, true at the start of a
    match) checked right after ``body``'s first character instead of before it:
    ``(?<!X)[0-9]…`` becomes ``[0-9](?<=(?<!X)[0-9])…``, the same matches, but ``re`` skips
    to the candidates for that first character in C. ``body`` opens with one character or
    character class, unquantified (``[0-9][0-9]{2}``, not ``[0-9]{3}``)."""
    first = _FIRST.match(body)
    if first is None:
        raise ValueError(f"a number pattern must open with one character: {body[:20]!r}")
    char = first.group()
    return f"{char}(?<={before}{char}){body[first.end():]}"


@dataclass(frozen=True)
class NumberSpec(Spec):
    """A number pattern for the stdlib engine, and ``start``: its rule at the match start in
    ``regex`` syntax (START, START_SPACED, look-behinds over any run of spaces), checked at
    each match that follows a space or a dash. Wherever neither precedes a match (the
    start of the text included), ``regex`` itself must decide ``start`` exactly: it opens
    with ``opening(body, NOT_AFTER)`` or stricter. The matches are then exactly those of
    ``start + regex`` on the ``regex`` engine.

    Backtracking: ``re`` has no timeout, so number bodies use bounded or fixed counts of
    tokens that cannot match the same character (digits, a dash, spaces, a line break);
    the only runs, of spaces, are followed by a non-space, so a failed attempt costs time
    linear in the run and no attempt nests another. ``start`` keeps the ``regex`` timeout.
    """

    start: str = START
    engine: str = "re"

    def compile(self) -> CompiledSpec:
        if self.engine != "re":
            raise ValueError(f"a NumberSpec runs on the stdlib engine: {self.name}")
        pattern = re.compile(self.regex, re.MULTILINE)
        rule = regex.compile(self.start, regex.MULTILINE)

        def may_start(text: str, position: int) -> bool:
            if position == 0 or text[position - 1] not in _DOUBTFUL:
                return True
            return rule.match(text, position, timeout=REGEX_TIMEOUT_SECONDS) is not None

        def finditer(text: str) -> Iterator[re.Match[str]]:
            position = 0
            while True:
                for match in pattern.finditer(text, position):
                    if not may_start(text, match.start()):
                        # No match starts here; the ``regex`` engine would try the next
                        # character, so resume there.
                        position = match.start() + 1
                        break
                    yield match
                else:
                    return

        return CompiledSpec(self, finditer)


def whole(name: str, body: str, score: float) -> NumberSpec:
    """``body`` as a whole contiguous number (``body`` opens as ``opening`` needs)."""
    return NumberSpec(name, f"{opening(body, NOT_AFTER)}{END}", score, start=START)


def whole_spaced(name: str, body: str, score: float) -> NumberSpec:
    """``body`` as a whole number whose groups may be separated by spaces."""
    return NumberSpec(name, f"{opening(body, NOT_AFTER)}{END_SPACED}", score,
                      start=START_SPACED)


def line_breaks(value: str) -> int:
    return value.count("\n")
