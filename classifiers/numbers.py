"""Building blocks for the regexes of numeric identifiers (``regex`` module syntax).

A number counts only as a whole: never as part of a longer digit chain (13 digits are not a
My Number, 4-4-4-4 is a card, not a My Number plus four digits), and never as an amount
(¥1,234,567 / 1234567円). Line breaks may split a number anywhere (PDF extraction wraps
lines), and group separators are spaces, dashes or a line break (issue 3). A TAB is never
part of a number: it separates table columns (extracted spreadsheets, DOCX tables), so
"電話\t口座番号" columns stay two numbers.
"""

from __future__ import annotations

from classifiers.base import DASHES

# A digit, then n-1 more, each possibly after one line break.
_NL = r"(?:\r?\n)?"


def digits(n: int) -> str:
    return rf"[0-9](?:{_NL}[0-9]){{{n - 1}}}"


# Between digit groups: a dash (with spaces or a line break around it), spaces, or a break.
GROUP_SEP = rf"(?: *[{DASHES}] *(?:\r?\n *)?| +|\r?\n *)"
_JOINED = rf" *[{DASHES}] *"
_MONEY_BEFORE = r"[¥$€£]"
# 円, 万円, ドル, or a decimal/thousands separator and more digits (千 alone is 千葉 too).
_MONEY_AFTER = r" *(?:円|[万千億]円|ドル|[%,.][0-9])"

# Not preceded by a digit, a letter or a currency sign, nor by a digit joined with a dash.
START = rf"(?<![0-9A-Za-z]|{_MONEY_BEFORE} *)(?<![0-9]{_JOINED})"
# A spaced number (1234 5678 9018) is continued by a group of up to four digits joined by
# spaces (the 4-4-4-4 of a card). A longer run, or a group that belongs to a dashed number,
# is a neighbouring table column (PDF text separates cells with spaces): "090-2015-4594
# 6928 9823 6918" is a phone and a My Number.
_GROUP = rf"(?<![0-9])(?<![0-9]{_JOINED})[0-9]{{1,4}}"
START_SPACED = rf"{START}(?<!{_GROUP} +)"
# Not followed by a digit, by a dash and a digit, or by an amount's unit.
# A number wrapped onto the next line must not end as that line's list or row number
# ("…9283\n5．後藤", "…9428\n3\t斎藤"): 1-3 digits after a break, then . 、 ) : a TAB, a
# space or another break (a table cell of its own).
_ROW_NUMBER = r"(?!(?<=\n *[0-9]{1,3})[.、):\t \r\n])"
END = rf"(?![0-9])(?!{_JOINED}[0-9])(?!{_MONEY_AFTER}){_ROW_NUMBER}"
END_SPACED = rf"{END}(?! +[0-9]{{1,4}}(?![0-9])(?!{_JOINED}[0-9]))"


def whole(body: str) -> str:
    """``body`` as a whole contiguous number."""
    return f"{START}{body}{END}"


def whole_spaced(body: str) -> str:
    """``body`` as a whole number whose groups may be separated by spaces."""
    return f"{START_SPACED}{body}{END_SPACED}"


def line_breaks(value: str) -> int:
    return value.count("\n")
