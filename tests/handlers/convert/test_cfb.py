"""The compound-file probe on damaged input: every failure is a CorruptFile (or the file
is judged), never a parser exception or a hang."""

from __future__ import annotations

import random

from core.errors import SekishoError
from handlers.convert.cfb import CompoundFile, check_legacy
from tests.fixtures.olegen import make_legacy_doc


def test_damaged_compound_files_fail_cleanly() -> None:
    original = make_legacy_doc()
    rng = random.Random(4)  # fixed seed: the same cases on every run
    for _ in range(300):
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            check_legacy(bytes(data), "application/msword")
        except SekishoError:
            pass


def test_truncated_compound_files_fail_cleanly() -> None:
    original = make_legacy_doc()
    for size in range(0, len(original), 97):
        try:
            check_legacy(original[:size], "application/msword")
        except SekishoError:
            pass


def test_stream_heads_are_read_through_the_fat() -> None:
    head = CompoundFile(make_legacy_doc()).head("WordDocument", 4)
    assert head == b"\xec\xa5\x00\x00"
