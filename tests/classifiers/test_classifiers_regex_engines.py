"""The number patterns on the stdlib ``re`` engine match what the ``regex`` module matched.

classifiers.numbers moves each pattern's start rule behind its first character and checks
the rules that skip runs of spaces (START, START_SPACED, 〒 + spaces) with the ``regex``
module; the one bounded rule is the indent before a row number (ROW_INDENT). Phone numbers
are checked against the numbering plan with one regex built from phonenumbers' metadata.
"""

from __future__ import annotations

import random

import phonenumbers
import pytest
import regex

from classifiers import CreditCardRecognizer, MyNumberRecognizer, PostalCodeRecognizer
from classifiers.base import JaPatternRecognizer, Spec
from classifiers.contact import PhoneRecognizer, in_numbering_plan
from classifiers.identifiers import CorporateNumberRecognizer
from classifiers.numbers import (
    END,
    END_SPACED,
    GROUP_SEP,
    ROW_INDENT,
    START,
    START_SPACED,
    digits,
    opening,
    whole,
    whole_spaced,
)
from tests.classifiers import gen

RNG = random.Random(20240607)


def spans(spec: Spec, text: str) -> list[tuple[int, int]]:
    return [m.span() for m in spec.compile().finditer(text)]


def shown(spec: Spec, text: str) -> list[str]:
    return [text[a:b] for a, b in spans(spec, text)]


def pattern(recognizer: type[JaPatternRecognizer], name: str) -> Spec:
    (spec,) = [p for p in recognizer.PATTERNS if p.name == name]
    return spec


MY_NUMBER = pattern(MyNumberRecognizer, "my_number")
MY_NUMBER_SPACED = pattern(MyNumberRecognizer, "my_number_4_4_4")
CARD_4X4 = pattern(CreditCardRecognizer, "card_4x4")
CARD_4_6_5 = pattern(CreditCardRecognizer, "card_4_6_5")
POSTAL_MARK = pattern(PostalCodeRecognizer, "postal_mark")


@pytest.mark.parametrize("spaces", [0, 1, 8, 9, 40])
def test_start_rules_skip_any_number_of_spaces(spaces: int) -> None:
    """No bound where the ``regex`` look-behinds skipped a run of spaces."""
    n = gen.my_number(RNG)
    pad = " " * spaces
    assert shown(MY_NUMBER, f"金額 ¥{pad}{n}") == []  # an amount
    assert shown(MY_NUMBER, f"番号 12{pad}-{pad}{n}") == []  # the tail of a dashed number
    assert shown(MY_NUMBER, f"番号 A{pad}{n}") == ([] if spaces == 0 else [n])
    assert shown(MY_NUMBER, f"番号 ={pad}{n}") == [n]
    assert shown(POSTAL_MARK, f"〒{pad}330-0063 さいたま市") == ["330-0063"]
    assert shown(POSTAL_MARK, f"注{pad}330-0063 さいたま市") == []


@pytest.mark.parametrize("spaces", [1, 8, 9, 40])
def test_a_table_column_before_a_spaced_number_at_any_distance(spaces: int) -> None:
    """'4594   6928 9823 6918': the 4-4-4 continues a spaced group, unless that group
    belongs to a dashed number (a phone in the next column)."""
    groups = gen.groups(gen.my_number(RNG), " ")
    pad = " " * spaces
    assert shown(MY_NUMBER_SPACED, f"4594{pad}{groups}") == []
    assert shown(MY_NUMBER_SPACED, f"090-2015-4594{pad}{groups}") == [groups]
    assert shown(MY_NUMBER_SPACED, f"090 - 2015 -{pad}4594{pad}{groups}") == [groups]
    assert shown(MY_NUMBER_SPACED, f"12345{pad}{groups}") == [groups]  # 5 digits: no group


def test_a_refused_start_does_not_hide_a_number_inside_it() -> None:
    """After a start the rules refuse, matching goes on from the next character, as on the
    ``regex`` engine: "¥ 1234 567890 1234" is an amount, the card starts at its last group
    (a six-digit group is no spaced group before it)."""
    text = "¥ 1234 567890 1234 567890 12345"
    assert shown(CARD_4_6_5, text) == ["1234 567890 12345"]


def test_a_row_number_after_a_wrapped_number_within_the_indent_bound() -> None:
    """The one bounded rule: a wrapped line's 1-3 digit row number is not part of the number
    when indented by at most ROW_INDENT spaces; further indented, it is (the ``regex``
    pattern had no bound; no document in the bench corpora comes near it)."""
    card = gen.groups(gen.card_number(RNG), " ", (4, 4, 4, 4))
    for indent in (0, 1, ROW_INDENT):
        text = f"{card}\n{' ' * indent}123. 次の行"
        assert shown(CARD_4X4, text) == [card], indent
    text = f"{card}\n{' ' * (ROW_INDENT + 1)}123. 次の行"
    assert shown(CARD_4X4, text) == [text[: text.index(".")]]
    # Not a row number: no stop after it, or a fourth digit.
    assert shown(CARD_4X4, f"{card}\n 123次") == [f"{card}\n 123"]
    assert shown(CARD_4X4, f"{card}\n 1234. 次") == [card]
    # The contiguous form ("…9283\n5．後藤") never carries an indent.
    n = gen.my_number(RNG)
    assert shown(MY_NUMBER, f"番号 {n[:11]}\n{n[11]}. 後藤") == []
    assert shown(MY_NUMBER, f"番号 {n[:11]}\n{n[11]}で") == [f"{n[:11]}\n{n[11]}"]


# Bodies of the number patterns, each as the stdlib form needs it (one opening character).
BODIES = [
    digits(12),
    f"{digits(4)}{GROUP_SEP}{digits(4)}{GROUP_SEP}{digits(4)}",
    "[0-9][0-9]{12,18}",
    "[0-9][0-9]{2}(?: *- *[0-9]{7}|[0-9]{4})",
]
_TOKENS = [*"0123456789" * 4, " ", "  ", "-", "ー", "\n", "\r\n", "¥", "$ ", "A", "円", ".",
           ",", "\t", "、", ")", "〒", "あ", "1234 ", "5678-"]


def _text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(3, 30)):
        parts.append(" " * rng.randint(2, 12) if rng.random() < 0.05 else rng.choice(_TOKENS))
    return "".join(parts)


@pytest.mark.parametrize("body", BODIES)
def test_stdlib_patterns_match_exactly_what_the_regex_module_matches(body: str) -> None:
    """Random number-dense text: the same spans as START/START_SPACED + body + END on the
    ``regex`` engine (the start rules moved behind the first character and checked by
    NumberSpec; END is the same text in both)."""
    rng = random.Random(body)
    for spaced, reference in ((False, START + body + END),
                              (True, START_SPACED + body + END_SPACED)):
        expected = regex.compile(reference, regex.MULTILINE)
        spec = (whole_spaced if spaced else whole)("test", body, 0.5)
        compiled = spec.compile()
        for _ in range(1500):
            text = _text(rng)
            got = [m.span() for m in compiled.finditer(text)]
            assert got == [m.span() for m in expected.finditer(text)], (body, spaced, text)


def test_every_numeric_pattern_opens_with_one_character() -> None:
    """The stdlib engine skips to candidates only for a pattern that opens with a character:
    every numeric pattern does, and ``opening`` refuses what would not."""
    recognizers = (MyNumberRecognizer, CorporateNumberRecognizer, CreditCardRecognizer,
                   PhoneRecognizer, PostalCodeRecognizer)
    for recognizer in recognizers:
        for spec in recognizer.PATTERNS:
            assert spec.engine == "re", spec.name
            assert not spec.regex.startswith("(?"), spec.name
    for body in ("[0-9]{3}", "(?:0|1)", "0?1", ""):
        with pytest.raises(ValueError, match="open with one character"):
            opening(body, "")


def test_numbering_plan_agrees_with_phonenumbers() -> None:
    rng = random.Random(3)
    numbers = [f"0{first}{rest:0{length - 2}d}"
               for first in "123456789" for length in (10, 11)
               for rest in (0, 10 ** (length - 2) - 1)]
    numbers += [f"0{prefix}{rng.randrange(10 ** 7):07d}"[: rng.choice((10, 11))]
                for prefix in range(100, 1000) for _ in range(3)]
    numbers += [f"0{rng.randint(1, 9)}{rng.randrange(10 ** 9):09d}"[: rng.choice((10, 11))]
                for _ in range(5000)]
    valid = 0
    for national in numbers:
        number = phonenumbers.PhoneNumber(country_code=81, national_number=int(national[1:]))
        expected = phonenumbers.is_valid_number(number)
        assert in_numbering_plan(national) == expected, national
        valid += expected
    assert 0.1 < valid / len(numbers) < 0.9  # both answers were tested
