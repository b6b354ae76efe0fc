"""Damaged input of every format: extraction returns or raises one of our errors, never a
parser's own exception (the service maps only SekishoError to a response)."""

from __future__ import annotations

import random
import warnings

import pytest

from core.errors import SekishoError
from handlers.detect import detect
from handlers.extract import extract
from tests.handlers.extract.test_extract_api import FIXTURES

MUTATIONS_PER_FORMAT = 60


def _mutate(data: bytes, rng: random.Random) -> bytes:
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        position = rng.randrange(len(mutated)) if mutated else 0
        choice = rng.random()
        if choice < 0.5 and mutated:
            mutated[position] = rng.randrange(256)
        elif choice < 0.75:
            del mutated[position:position + rng.randint(1, 64)]
        else:
            mutated[position:position] = rng.randbytes(rng.randint(1, 16))
    return bytes(mutated)


@pytest.mark.parametrize("kind", sorted(k for k in FIXTURES if k != "empty"))
def test_damaged_input_never_escapes_as_a_foreign_exception(kind: str) -> None:
    original = FIXTURES[kind]()
    declared = detect(original).mime
    rng = random.Random(f"sekisho-{kind}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns about each damaged EXIF tag
        for _ in range(MUTATIONS_PER_FORMAT):
            damaged = _mutate(original, rng)
            for mime in {declared, detect(damaged).mime}:
                try:
                    extract(damaged, mime, ocr=False)
                except SekishoError:
                    pass
