"""Chunks for NER stay under Sudachi's byte limit, overlap, and own every position once."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from classifiers.chunking import DEFAULT_OVERLAP, SUDACHI_MAX_BYTES, chunk_text


def _check(text: str, max_bytes: int, overlap: int = DEFAULT_OVERLAP) -> None:
    chunks = chunk_text(text, max_bytes, overlap)
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    assert chunks[0].keep_from == 0 and chunks[-1].keep_to == len(text)
    for a, b in pairwise(chunks):
        assert a.keep_to == b.keep_from  # ownership tiles the text
        assert b.start < a.end  # consecutive chunks overlap
        assert a.start < a.keep_to - overlap // 4  # progress
    for c in chunks:
        assert len(text[c.start : c.end].encode("utf-8")) <= max_bytes
        assert c.start <= c.keep_from < c.keep_to <= c.end


@pytest.mark.parametrize("unit", ["あ", "a", "😀", "漢字と、かな。\n", "abc漢\n"])
def test_chunks_respect_the_byte_limit_whatever_the_characters(unit: str) -> None:
    _check(unit * (3 * SUDACHI_MAX_BYTES // len(unit.encode())), SUDACHI_MAX_BYTES)


def test_random_texts() -> None:
    rng = random.Random(9)
    alphabet = "あいう漢字ABC 123\n。😀"
    for _ in range(30):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 20_000)))
        _check(text, rng.choice([4096, 8192, SUDACHI_MAX_BYTES]), rng.choice([64, 256]))


def test_an_entity_straddling_a_49kb_boundary_is_owned_by_exactly_one_chunk() -> None:
    name = "山田太郎"
    first = chunk_text("あ" * 40_000, SUDACHI_MAX_BYTES)[0]
    for shift in range(-len(name) - 3, 4):  # every way of straddling the first chunk's end
        start = first.end + shift
        text = "あ" * start + name + "あ" * 40_000
        chunks = chunk_text(text, SUDACHI_MAX_BYTES)
        holders = [c for c in chunks if c.start <= start and start + len(name) <= c.end]
        owners = [c for c in holders if c.owns(start)]
        assert len(owners) == 1, shift


def test_soft_cut_at_a_line_end() -> None:
    text = ("行" * 99 + "\n") * 400
    chunks = chunk_text(text, 12_000)
    assert all(text[c.end - 1] == "\n" for c in chunks[:-1])


def test_too_small_a_limit_is_refused() -> None:
    with pytest.raises(ValueError):
        chunk_text("abc", 100, 256)
