"""Synthetic identifiers for the classifier tests, computed independently of the code under
test (each check digit written again from its specification)."""

from __future__ import annotations

import random

_ASCII = "0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ@."
FULL_WIDTH = str.maketrans(_ASCII, "".join(chr(ord(c) + 0xFEE0) for c in _ASCII))


def my_number_digit(first11: str) -> int:
    digits = [int(c) for c in reversed(first11)]  # P_1 is the rightmost digit
    weights = [n + 1 if n <= 6 else n - 5 for n in range(1, 12)]
    r = sum(p * q for p, q in zip(digits, weights, strict=True)) % 11
    return 0 if r <= 1 else 11 - r


def my_number(rng: random.Random) -> str:
    first11 = "".join(rng.choice("0123456789") for _ in range(11))
    return first11 + str(my_number_digit(first11))


def corporate_digit(base12: str) -> int:
    total = sum(int(c) * (1 if n % 2 else 2) for n, c in enumerate(reversed(base12), start=1))
    return 9 - total % 9


def corporate_number(rng: random.Random) -> str:
    base = "".join(rng.choice("0123456789") for _ in range(12))
    return str(corporate_digit(base)) + base


def luhn_digit(body: str) -> int:
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def card_number(rng: random.Random, prefix: str = "4", length: int = 16) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return body + str(luhn_digit(body))


def licence_digit(first10: str) -> int:
    total = sum(int(c) * w for c, w in zip(first10, (5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def driver_license(rng: random.Random, issuer: str = "30") -> str:
    first10 = issuer + f"{rng.randrange(100):02d}" + f"{rng.randrange(10**6):06d}"
    return first10 + str(licence_digit(first10)) + str(rng.randrange(3))


def wrong_last(number: str) -> list[str]:
    return [number[:-1] + d for d in "0123456789" if d != number[-1]]


def groups(number: str, sep: str, sizes: tuple[int, ...] = (4, 4, 4)) -> str:
    out, i = [], 0
    for size in sizes:
        out.append(number[i : i + size])
        i += size
    return sep.join(out)
