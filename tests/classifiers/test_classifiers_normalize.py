"""NFKC with an index map: normalised spans map back to the exact original characters."""

from __future__ import annotations

import unicodedata

import pytest

from classifiers.normalize import NormalizedText


def test_already_normalised_text_is_an_identity_map() -> None:
    n = NormalizedText.of("abc 秘密")
    assert n.text == "abc 秘密"
    assert n.original_span(1, 3) == (1, 3)


def test_full_width_characters_fold_and_map_back() -> None:
    original = "本書は機密性２（中）情報"
    n = NormalizedText.of(original)
    assert n.text == "本書は機密性2(中)情報"
    start = n.text.index("機密性2")
    s, e = n.original_span(start, start + 4)
    assert original[s:e] == "機密性２"


def test_expanding_characters_map_to_the_whole_original_character() -> None:
    original = "x㍻y"  # ㍻ -> 平成: one original character, two normalised
    n = NormalizedText.of(original)
    assert n.text == "x平成y"
    assert n.original_span(1, 2) == (1, 2)  # half of 平成 still covers all of ㍻
    assert n.original_span(3, 4) == (2, 3)


def test_half_width_voiced_katakana_composes_into_one_character() -> None:
    original = "ｶﾞｲﾄﾞ秘"  # ｶﾞ -> ガ (two original characters, one normalised)
    n = NormalizedText.of(original)
    assert n.text == unicodedata.normalize("NFKC", original) == "ガイド秘"
    assert n.original_span(0, 1) == (0, 2)
    assert n.original_span(3, 4) == (5, 6)


def test_circled_secret_becomes_a_bracketed_marking() -> None:
    n = NormalizedText.of("a㊙b")
    assert n.text == "a【秘】b"
    assert n.original_span(1, 4) == (1, 2)


def test_span_outside_text_is_refused() -> None:
    with pytest.raises(ValueError):
        NormalizedText.of("ab").original_span(1, 3)


def test_random_mixtures_equal_nfkc_and_every_span_maps_inside_the_original() -> None:
    import random

    alphabet = "aB1 　１Ａｶﾞﾞｷﾟか゛\u3099が。（）【】㍻﨑가\u1161\u11a8é\u0301秘密\n"
    rng = random.Random(7)
    for _ in range(2000):
        original = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))
        n = NormalizedText.of(original)
        assert n.text == unicodedata.normalize("NFKC", original), repr(original)
        for i, ch in enumerate(n.text):
            s, e = n.original_span(i, i + 1)
            assert 0 <= s < e <= len(original)
            # the original piece, normalised, produces this character
            assert ch in unicodedata.normalize("NFKC", original[s:e])


def test_full_width_only_text_folds_without_an_offset_map() -> None:
    original = "個人番号：１２３４－５６７８－９０１８（ＡＢＣ）　電話"
    n = NormalizedText.of(original)
    assert n.text == unicodedata.normalize("NFKC", original)
    assert n.identity  # one character for one: offsets are the identity
    assert n.original_span(5, 19) == (5, 19)


def test_long_mixed_text_maps_every_character_back() -> None:
    import random

    rng = random.Random(1)
    pieces = ["本文", "ｶﾞ", "㍻", "（", "１", "A", "é\u0301", "\n", "秘", "㊙", "ﬁ", "\u3000"]
    original = "".join(rng.choice(pieces) for _ in range(20_000))
    n = NormalizedText.of(original)
    assert n.text == unicodedata.normalize("NFKC", original.replace("㊙", "【秘】"))
    for i in range(0, len(n.text), 7):
        s, e = n.original_span(i, i + 1)
        assert n.text[i] in unicodedata.normalize("NFKC", original[s:e].replace("㊙", "【秘】"))
    s, e = n.original_span(0, len(n.text))
    assert (s, e) == (0, len(original))
