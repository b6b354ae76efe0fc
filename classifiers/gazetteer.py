"""Japanese place names and common surnames, shipped as data (``gazetteer_ja.tsv``).

All 47 prefectures, the 20 designated cities (政令指定都市) with their wards, Tokyo's 23
special wards, and common surnames. Read once, on first use; a missing or malformed file
is a packaging error and raises at once rather than silently detecting fewer addresses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

DATA_FILE = "gazetteer_ja.tsv"
_KINDS = frozenset({"prefecture", "designated_city", "ward", "special_ward", "surname"})


@dataclass(frozen=True)
class Gazetteer:
    prefectures: tuple[str, ...]
    designated_cities: dict[str, str]  # city -> prefecture
    wards: dict[str, tuple[str, ...]]  # designated city -> its wards
    special_wards: tuple[str, ...]  # Tokyo's 23 wards
    surnames: frozenset[str]

    @property
    def all_wards(self) -> frozenset[str]:
        return frozenset(w for wards in self.wards.values() for w in wards)


def _rows(text: str) -> list[tuple[str, str, str]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[0] not in _KINDS or not parts[1]:
            raise ValueError(f"{DATA_FILE} line {number}: malformed row")
        rows.append((parts[0], parts[1], parts[2]))
    return rows


@cache
def gazetteer() -> Gazetteer:
    text = resources.files("classifiers").joinpath(DATA_FILE).read_text(encoding="utf-8")
    prefectures: list[str] = []
    cities: dict[str, str] = {}
    wards: dict[str, list[str]] = {}
    special: list[str] = []
    surnames: set[str] = set()
    for kind, name, parent in _rows(text):
        if kind == "prefecture":
            prefectures.append(name)
        elif kind == "designated_city":
            cities[name] = parent
        elif kind == "ward":
            wards.setdefault(parent, []).append(name)
        elif kind == "special_ward":
            special.append(name)
        else:
            surnames.add(name)
    return Gazetteer(tuple(prefectures), cities, {c: tuple(w) for c, w in wards.items()},
                     tuple(special), frozenset(surnames))


def alternation(names: tuple[str, ...] | frozenset[str] | list[str]) -> str:
    """A regex alternation of literal names, longest first (so 神奈川区 wins over 川区)."""
    return "(?:" + "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n))) + ")"
