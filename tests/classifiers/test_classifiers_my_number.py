"""JP_MY_NUMBER: the official check digit decides, offsets point into the original text."""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import pytest

from classifiers import MyNumberRecognizer, classify_text
from classifiers.checkdigits import is_valid_my_number, my_number_check_digit
from classifiers.findings import Finding
from core.profiles import load_profiles
from tests.classifiers.support import finder


def reference_check_digit(first11: str) -> int:
    """Written again from the specification, independently of the code under test."""
    digits = [int(c) for c in reversed(first11)]  # P_1 is the rightmost digit
    weights = [n + 1 if n <= 6 else n - 5 for n in range(1, 12)]
    r = sum(p * q for p, q in zip(digits, weights, strict=True)) % 11
    return 0 if r <= 1 else 11 - r


def make_numbers(count: int, seed: int = 20240401) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        first11 = "".join(rng.choice("0123456789") for _ in range(11))
        out.append(first11 + str(reference_check_digit(first11)))
    return out


VALID = make_numbers(40)
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


_find = finder(MyNumberRecognizer())


def find(text: str) -> list[Finding]:
    return _find(text)


def test_known_number_and_reference_agree() -> None:
    assert my_number_check_digit("12345678901") == 8 == reference_check_digit("12345678901")
    assert is_valid_my_number("123456789018")
    for number in VALID:
        assert my_number_check_digit(number[:11]) == int(number[11])


def groups(n: str, sep: str) -> str:
    return sep.join((n[:4], n[4:8], n[8:]))


FORMS: dict[str, Callable[[str], str]] = {
    "plain": lambda n: n,
    "hyphen": lambda n: groups(n, "-"),
    "space": lambda n: groups(n, " "),
    "ideographic_space": lambda n: groups(n, "\u3000"),
    "full_width": lambda n: n.translate(FULL_WIDTH),
    "full_width_hyphen": lambda n: groups(n, "-").translate(FULL_WIDTH),
    "line_broken": lambda n: groups(n, "\n"),
    "crlf_broken": lambda n: groups(n, "\r\n"),
    "hyphen_then_break": lambda n: groups(n, "-\n"),
    "broken_mid_group": lambda n: n[:6] + "\n" + n[6:],
    "full_width_broken": lambda n: (n[:7] + "\r\n" + n[7:]).translate(FULL_WIDTH),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_valid_numbers_found_with_original_offsets(form: str) -> None:
    for number in VALID[:10]:
        shown = FORMS[form](number)
        text = f"氏名 山田太郎　番号：{shown}　以上"
        findings = find(text)
        assert len(findings) == 1, (form, shown)
        f = findings[0]
        assert text[f.start : f.end] == shown
        assert f.entity_type == "JP_MY_NUMBER"


def test_every_wrong_check_digit_is_never_reported() -> None:
    for number in VALID[:10]:
        for wrong in set("0123456789") - {number[11]}:
            bad = number[:11] + wrong
            assert find(f"マイナンバー {bad}") == []
            assert find(f"個人番号：{groups(bad, '-')}") == []


def test_longer_digit_runs_and_card_numbers_are_not_reported() -> None:
    n = VALID[0]
    assert find(f"{n}7") == []  # 13 digits
    assert find(f"9{n}") == []
    assert find(f"口座 0{n}12") == []
    assert find(f"{groups(n, '-')}-1234") == []  # 4-4-4-4 card shape
    assert find(f"1234-{groups(n, '-')}") == []
    assert find(f"{groups(n, ' ')} 5678") == []
    assert len(find(f"{n} 35歳")) == 1  # an unrelated number after a space is fine


def test_context_words_raise_the_score() -> None:
    n = VALID[1]
    bare = find(f"受付 {n}")[0]
    with_context = find(f"マイナンバー（個人番号） {n}")[0]
    assert with_context.score > bare.score


def test_finding_never_carries_the_value() -> None:
    text = " / ".join(VALID[:3]) + " / " + VALID[0]
    result = classify_text(text, load_profiles()["saitama-police-2023"])
    dumped = json.dumps(result.to_dict(), ensure_ascii=False)
    for number in VALID[:3]:
        assert number not in dumped
        assert number[:4] not in dumped and number[-4:] not in dumped
    tags = [f.text_hash for f in result.findings]
    assert tags[0] == tags[3] and len(set(tags)) == 3  # groups equal values within one call
    again = classify_text(text, load_profiles()["saitama-police-2023"])
    assert again.findings[0].text_hash != tags[0]  # the key lives for one call only
    keyed = [classify_text(text, load_profiles()["saitama-police-2023"], hash_key=b"k" * 32)
             for _ in range(2)]
    assert keyed[0].findings[0].text_hash == keyed[1].findings[0].text_hash  # caller's key


def test_hash_keys_must_be_long_enough() -> None:
    from classifiers import TextHasher

    with pytest.raises(ValueError):
        TextHasher(b"short")
    assert "key" in repr(TextHasher(b"k" * 32)) and "kkkk" not in repr(TextHasher(b"k" * 32))
