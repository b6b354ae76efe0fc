"""The label model: canonical C/I/A levels, handling restrictions and their combination.

Canonical level codes are shared by every profile (design.md "Contracts"): confidentiality
``C3`` > ``C2`` > ``C1``, integrity ``I2`` > ``I1``, availability ``A2`` > ``A1``. A profile
(``core.profiles``) gives each code the seed organisation's own display name; this module knows
no display names, so nothing here can silently translate one organisation's vocabulary into
another's (seed-requirements CLS cross-mapping note, 10.1).

Restrictions (取扱制限) are snake_case codes (``no_copy``); which codes exist, and what they are
called, is again the profile's business (HR-02: the vocabulary is open and per organisation).

Also here, because both ``classifiers`` and ``core.profiles`` must agree on them without
importing each other: the canonical marking ids the marking recognizer emits and the entity
type names (design.md "Contracts").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Self, TypeVar

from core.errors import InvalidRequest

RESTRICTION_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
PROFILE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class _Level(Enum):
    """An ordered level on one axis; the value is the rank (higher = stricter)."""

    @property
    def code(self) -> str:
        return self.name

    @property
    def rank(self) -> int:
        rank: int = self.value
        return rank

    @classmethod
    def codes(cls) -> tuple[str, ...]:
        """Codes from the strictest down, the order profiles and messages list them in."""
        return tuple(m.name for m in sorted(cls, key=lambda m: -m.rank))

    @classmethod
    def from_code(cls, code: str) -> Self:
        try:
            return cls[code]
        except KeyError:
            raise ValueError(f"{code!r} is not one of {', '.join(cls.codes())}") from None

    def _same(self, other: object) -> _Level:
        if type(other) is not type(self):
            raise TypeError(f"cannot compare {type(self).__name__} with {type(other).__name__}")
        assert isinstance(other, _Level)
        return other

    def __lt__(self, other: object) -> bool:
        return self.rank < self._same(other).rank

    def __le__(self, other: object) -> bool:
        return self.rank <= self._same(other).rank

    def __gt__(self, other: object) -> bool:
        return self.rank > self._same(other).rank

    def __ge__(self, other: object) -> bool:
        return self.rank >= self._same(other).rank


class Confidentiality(_Level):
    C1 = 1
    C2 = 2
    C3 = 3


class Integrity(_Level):
    I1 = 1
    I2 = 2


class Availability(_Level):
    A1 = 1
    A2 = 2


class Axis(Enum):
    """The three classification axes; the value is the field name in labels and profiles."""

    CONFIDENTIALITY = "confidentiality"
    INTEGRITY = "integrity"
    AVAILABILITY = "availability"

    @property
    def levels(self) -> type[_Level]:
        return _AXIS_LEVELS[self]


_AXIS_LEVELS: dict[Axis, type[_Level]] = {
    Axis.CONFIDENTIALITY: Confidentiality,
    Axis.INTEGRITY: Integrity,
    Axis.AVAILABILITY: Availability,
}

AXES: tuple[Axis, ...] = tuple(Axis)
_LABEL_KEYS = frozenset({"profile", *(a.value for a in AXES), "restrictions"})

# Canonical marking ids (classification / handling markings found in a document). The
# marking recognizer emits exactly these; profiles map them onto levels and restrictions.
MARKING_IDS: frozenset[str] = frozenset({
    "gokuhi",                 # 極秘
    "hi",                     # 秘 (only as a marking: 【秘】, ㊙, a line of its own)
    "toriatsukai_chui",       # 取扱注意
    "bugaihi",                # 部外秘 / 庁外秘 / 社外秘
    "kankeisha_kagiri",       # 関係者限り
    "kimitsusei_3",           # 機密性3（高）情報 / 機密性３
    "kimitsusei_2",           # 機密性2（中）情報 / 機密性２
    "kimitsusei_1",           # 機密性1（低）情報 / 機密性１
    "kimitsusei_2_ijo",       # 機密性2以上 (Chiba's working threshold)
    "kanzensei_2",            # 完全性2（高）情報 / 完全性２
    "kanyousei_2",            # 可用性2（高）情報 / 可用性２
    "no_copy",                # 複製禁止, DO NOT COPY
    "no_takeout",             # 持ち出し禁止 / 持出禁止
    "no_distribution",        # 配布禁止 / 配付禁止, DO NOT DISTRIBUTE
    "destroy_after_reading",  # 読後廃棄
    "head_of_unit_only",      # 所属長限り
    "no_external_provision",  # 外部提供禁止
    "shinten",                # 親展 (Ishikawa 第3 2(4))
    "kojin_joho",             # 個人情報 (as a marking)
    "tokutei_kojin_joho",     # 特定個人情報 (as a marking)
    "juyo_joho",              # 重要情報 (as a marking)
    "top_secret",             # TOP SECRET
    "secret",                 # SECRET (standalone marking only)
    "confidential",           # CONFIDENTIAL
    "internal_use_only",      # INTERNAL USE ONLY
})

# Entity type names (design.md "Contracts"); profiles may set floors for any of them.
ENTITY_TYPES: frozenset[str] = frozenset({
    "JP_MY_NUMBER", "JP_CORPORATE_NUMBER", "PHONE_NUMBER", "EMAIL_ADDRESS", "JP_POSTAL_CODE",
    "JP_ADDRESS", "PERSON", "CREDIT_CARD", "JP_BANK_ACCOUNT", "JP_DRIVER_LICENSE",
    "JP_PASSPORT", "JP_RESIDENCE_CARD", "CLASSIFICATION_MARKING",
})


@dataclass(frozen=True)
class Label:
    """A classification: one level per axis, a set of restriction codes, one profile.

    Immutable so that a label read from a document or a finding can be shared freely;
    every change returns a new label.
    """

    confidentiality: Confidentiality
    integrity: Integrity
    availability: Availability
    restrictions: frozenset[str]
    profile: str

    def __post_init__(self) -> None:
        for axis in AXES:
            if not isinstance(getattr(self, axis.value), axis.levels):
                raise TypeError(f"{axis.value} must be a {axis.levels.__name__}")
        # Accept any iterable of codes but always store a frozenset (hashable, order-free).
        object.__setattr__(self, "restrictions", frozenset(self.restrictions))
        for code in self.restrictions:
            if not isinstance(code, str) or not RESTRICTION_CODE.match(code):
                raise ValueError(f"restriction code {code!r} is not snake_case")
        if not PROFILE_ID.match(self.profile):
            raise ValueError(f"profile id {self.profile!r} is not valid")

    @classmethod
    def lowest(cls, profile: str) -> Label:
        """C1/I1/A1 and no restriction: the neutral element of :meth:`combine`."""
        return cls(Confidentiality.C1, Integrity.I1, Availability.A1, frozenset(), profile)

    def level(self, axis: Axis) -> _Level:
        level: _Level = getattr(self, axis.value)
        return level

    def combine(self, other: Label) -> Label:
        """Highest wins on every axis, restrictions are united (LBL-07, 003 6.2(5)ウ).

        Labels of different profiles are refused: no silent cross-profile translation
        (seed-requirements 1.1 cross-mapping note).
        """
        if other.profile != self.profile:
            raise InvalidRequest(
                f"cannot combine a {self.profile!r} label with a {other.profile!r} label"
            )
        return Label(
            max(self.confidentiality, other.confidentiality),
            max(self.integrity, other.integrity),
            max(self.availability, other.availability),
            self.restrictions | other.restrictions,
            self.profile,
        )

    def at_least(self, other: Label) -> bool:
        """True when every axis of this label is >= the other's (restrictions ignored)."""
        return all(self.level(a) >= other.level(a) for a in AXES)

    def covers(self, other: Label) -> bool:
        """:meth:`at_least` and a superset of the other's restrictions (e.g. proposal vs floor)."""
        return self.at_least(other) and self.restrictions >= other.restrictions

    def with_restrictions(self, codes: Iterable[str]) -> Label:
        return Label(self.confidentiality, self.integrity, self.availability,
                     self.restrictions | frozenset(codes), self.profile)

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "confidentiality": self.confidentiality.code,
            "integrity": self.integrity.code,
            "availability": self.availability.code,
            "restrictions": sorted(self.restrictions),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Label:
        """Parse a label from JSON; any defect raises :class:`InvalidRequest` naming the field.

        ``restrictions`` may be omitted (= none); unknown keys are refused so that a typo
        (``"restriction"``) cannot silently drop a handling restriction.
        """
        if not isinstance(data, Mapping):
            raise InvalidRequest("label: must be an object")
        unknown = sorted(str(k) for k in data if k not in _LABEL_KEYS)
        if unknown:
            raise InvalidRequest(f"label: unknown field(s): {', '.join(unknown)}")
        profile = data.get("profile")
        if not isinstance(profile, str) or not PROFILE_ID.match(profile):
            raise InvalidRequest("label.profile: must be a profile id such as 'chiba-pref-2022'")
        return cls(
            _parse_level(data, Axis.CONFIDENTIALITY, Confidentiality),
            _parse_level(data, Axis.INTEGRITY, Integrity),
            _parse_level(data, Axis.AVAILABILITY, Availability),
            _parse_restrictions(data.get("restrictions", [])),
            profile,
        )


_L = TypeVar("_L", bound=_Level)


def _parse_level(data: Mapping[str, Any], axis: Axis, levels: type[_L]) -> _L:
    raw = data.get(axis.value)
    if raw is None:
        raise InvalidRequest(f"label.{axis.value}: field required")
    if not isinstance(raw, str):
        raise InvalidRequest(f"label.{axis.value}: must be a string level code")
    try:
        return levels.from_code(raw)
    except ValueError as exc:
        raise InvalidRequest(f"label.{axis.value}: {exc}") from None


def _parse_restrictions(raw: Any) -> frozenset[str]:
    if not isinstance(raw, list | tuple):
        raise InvalidRequest("label.restrictions: must be a list of restriction codes")
    for i, code in enumerate(raw):
        if not isinstance(code, str) or not RESTRICTION_CODE.match(code):
            raise InvalidRequest(f"label.restrictions[{i}]: {code!r} is not a restriction code")
    return frozenset(raw)


def derive_label(source: Label) -> Label:
    """The floor of information made from ``source`` (an excerpt, a summary, a conversion).

    Saitama 第3 2(5) (LBL-05): information created or copied from classified information
    inherits the source's 機密性に係る分類及び取扱制限 — confidentiality and every restriction.
    Integrity and availability restart at I1/A1: the seed names only confidentiality, and
    whether tampering with or losing the NEW item harms operations (CLS-04/05, CLS-13/14) is
    the creator's call when they classify it (CLS-08, 第3 2(1)); the service combines this floor
    with their proposal and ``Profile.with_implied`` re-adds the level bundles. Restrictions are
    kept whole, even those a source level carried (fail closed: never drop a 取扱制限).

    A plain copy, transmission or backup (Chiba 6.2(1)イ, LBL-06; Saitama 第3 7(2), LBL-11)
    is the same information: it keeps the source label unchanged, so it needs no function.
    """
    return Label(
        source.confidentiality,
        Integrity.I1,
        Availability.A1,
        source.restrictions,
        source.profile,
    )


def bundle_label(labels: Iterable[Label]) -> Label:
    """The label of a bundle (archive, multi-attachment mail, medium): the highest level on
    every axis and the union of restrictions (Chiba 6.2(5)ウ "最高度の分類に従って", LBL-07).

    Refuses an empty bundle (it has no profile to speak of) and labels of different profiles
    (no silent cross-profile translation, :meth:`Label.combine`).
    """
    iterator = iter(labels)
    try:
        result = next(iterator)
    except StopIteration:
        raise InvalidRequest("a bundle needs at least one label") from None
    for label in iterator:
        result = result.combine(label)
    return result
