"""The run-time view of one validated profile: labels in, native names and rules out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import InvalidRequest
from core.labels import (
    AXES,
    Availability,
    Axis,
    Confidentiality,
    Integrity,
    Label,
)
from core.profiles.schema import FloorRule, LabelSpec, LevelSpec, ProfileDocument

DIRECTIONS = ("outbound", "inbound")


@dataclass(frozen=True)
class SanitisePolicy:
    """What the profile decides for sanitising one file (issue 4: "the profile chooses the
    mode per direction and level")."""

    direction: str
    mode: str
    remove_links: bool
    tracked_changes: str
    hidden_content: str
    ocr: bool
    ref: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"direction": self.direction, "mode": self.mode,
                "remove_links": self.remove_links, "tracked_changes": self.tracked_changes,
                "hidden_content": self.hidden_content, "ocr": self.ocr, "ref": self.ref}


_PARENTHESISED = re.compile(r"[（(][^）)]*[）)]")
#: Restriction names in a header line; some profiles name restrictions by whole rules
#: (Chiba), which would not fit a page header. The full list stays in the embedded label.
MAX_STAMP_CHARS = 80


def _bounded_list(names: list[str], limit: int) -> str:
    shown: list[str] = []
    for name in names:
        if shown and len("・".join([*shown, name])) > limit:
            return "・".join(shown) + f" ほか{len(names) - len(shown)}件"
        shown.append(name)
    return "・".join(shown)


@dataclass(frozen=True)
class Profile:
    """One organisation's vocabulary and rules (design.md: one profile per seed)."""

    document: ProfileDocument
    path: Path | None = None

    @property
    def id(self) -> str:
        return self.document.id

    @property
    def title(self) -> str:
        return self.document.title

    @property
    def restriction_codes(self) -> tuple[str, ...]:
        """Declared restriction codes, in the order the profile lists them."""
        return tuple(self.document.restrictions)

    @property
    def default_label(self) -> Label:
        """Proposed label when nobody proposes one (never below the level bundles)."""
        return self.with_implied(self._label(self.document.default_label))

    @property
    def lowest_label(self) -> Label:
        """C1/I1/A1 plus whatever restrictions those levels carry in this profile."""
        return self.with_implied(Label.lowest(self.id))

    @property
    def ceiling(self) -> Label:
        """Highest label this deployment may hold (CLS-09); restrictions play no part."""
        c = self.document.ceiling
        return Label(
            Confidentiality.from_code(c.confidentiality),
            Integrity.from_code(c.integrity),
            Availability.from_code(c.availability),
            frozenset(),
            self.id,
        )

    @property
    def refused_restrictions(self) -> frozenset[str]:
        """Restrictions this deployment cannot honour (e.g. internet_separated_only, CLS-19)."""
        return frozenset(self.document.ceiling.refused_restrictions)

    def within_ceiling(self, label: Label) -> bool:
        return not self.ceiling_violations(label)

    def ceiling_violations(self, label: Label) -> tuple[str, ...]:
        """What puts ``label`` above this deployment's ceiling (CLS-09): ``"confidentiality"``
        (etc.) for a level above it, ``"restriction:<code>"`` for a refused restriction."""
        self.check_label(label)
        ceiling = self.ceiling
        over = [a.value for a in AXES if label.level(a) > ceiling.level(a)]
        over += [f"restriction:{code}" for code in sorted(label.restrictions
                                                           & self.refused_restrictions)]
        return tuple(over)

    @property
    def unreadable_floor(self) -> Label:
        """Floor of a document whose text could not all be read (issue 3: default C2)."""
        return self.rule_label(self.document.unreadable_floor)

    def level_spec(self, axis: Axis, code: str) -> LevelSpec:
        spec: LevelSpec = getattr(getattr(self.document.levels, axis.value), code)
        return spec

    def approval_ref(self, axis: Axis, code: str) -> str | None:
        """The seed reference when proposing this level always needs an approver, else None
        (Saitama 機密性1（低）情報: 第3 2(2), LBL-08)."""
        return self.level_spec(axis, code).approval_ref

    def level_name(self, axis: Axis, code: str) -> str:
        return self.level_spec(axis, code).name

    def restriction_name(self, code: str) -> str:
        spec = self.document.restrictions.get(code)
        if spec is None:
            raise InvalidRequest(f"profile {self.id!r} has no restriction {code!r}")
        return spec.name

    def implied_restrictions(self, label: Label) -> frozenset[str]:
        """Restrictions the label's levels carry by themselves (Chiba HR-09..18 etc.)."""
        codes: set[str] = set()
        for axis in AXES:
            codes.update(self.level_spec(axis, label.level(axis).code).restrictions)
        return frozenset(codes)

    def with_implied(self, label: Label) -> Label:
        self.check_label(label)
        return label.with_restrictions(self.implied_restrictions(label))

    def aggregates_of(self, label: Label) -> tuple[str, ...]:
        """Aggregate codes the label belongs to (Saitama 要機密情報 etc., CLS-06/07)."""
        found = []
        for code, agg in self.document.aggregates.items():
            members = (
                (label.confidentiality.code in agg.confidentiality)
                or (label.integrity.code in agg.integrity)
                or (label.availability.code in agg.availability)
            )
            if members:
                found.append(code)
        return tuple(found)

    def check_label(self, label: Label) -> None:
        """Refuse a label of another profile or with restriction codes this one lacks."""
        if label.profile != self.id:
            raise InvalidRequest(
                f"label belongs to profile {label.profile!r}, not {self.id!r} "
                "(labels are never translated between profiles)"
            )
        unknown = sorted(label.restrictions - set(self.document.restrictions))
        if unknown:
            raise InvalidRequest(
                f"label.restrictions: unknown in profile {self.id!r}: {', '.join(unknown)}"
            )

    def display(self, label: Label) -> dict[str, Any]:
        """Native names for every axis, restriction and aggregate (labels, UI, reports)."""
        self.check_label(label)
        return {
            "profile": self.id,
            "title": self.title,
            **{a.value: self.level_name(a, label.level(a).code) for a in AXES},
            "restrictions": [
                spec.name for code, spec in self.document.restrictions.items()
                if code in label.restrictions
            ],
            "aggregates": [self.document.aggregates[c].name for c in self.aggregates_of(label)],
        }

    def sanitise_policy(self, direction: str, label: Label) -> SanitisePolicy:
        """How a file travelling ``direction`` ("outbound" | "inbound") with this label is
        sanitised: the level's own mode if the profile names one, else the direction's."""
        if direction not in DIRECTIONS:
            raise InvalidRequest(f"direction must be one of {', '.join(DIRECTIONS)}")
        spec = getattr(self.document.sanitise, direction)
        code = label.confidentiality.code
        mode = spec.modes.get(code, spec.mode)
        return SanitisePolicy(direction, mode, spec.remove_links, spec.tracked_changes,
                              spec.hidden_content, spec.ocr, spec.ref)

    def stamp_text(self, label: Label) -> str:
        """The line shown in a file's header/footer (Chiba 6.2(2)): every axis in the
        profile's own words, then the handling restrictions."""
        display = self.display(label)
        text = "／".join(str(display[a.value]) for a in AXES)
        if display["restrictions"]:
            text += "　取扱制限：" + _bounded_list(display["restrictions"], MAX_STAMP_CHARS)
        return text

    def file_prefix(self, label: Label) -> str:
        """The file-name prefix, e.g. 【機密性2】 (Chiba 6.2(2): the classification in the
        file name): the confidentiality name without its parenthesised grade and, after a
        level number, without 情報."""
        name = _PARENTHESISED.sub("", self.level_name(Axis.CONFIDENTIALITY,
                                                      label.confidentiality.code))
        if name.endswith("情報") and name[:-2][-1:].isdigit():
            name = name[:-2]
        return f"【{name}】"

    def marking_rule(self, marking_id: str) -> FloorRule | None:
        return self.document.markings.get(marking_id)

    def entity_rule(self, entity_type: str) -> FloorRule | None:
        return self.document.entity_floors.get(entity_type)

    def rule_label(self, rule: FloorRule) -> Label:
        """The lowest label raised to what ``rule`` demands, bundles included."""
        lowest = Label.lowest(self.id)
        return self.with_implied(Label(
            Confidentiality.from_code(rule.confidentiality or lowest.confidentiality.code),
            Integrity.from_code(rule.integrity or lowest.integrity.code),
            Availability.from_code(rule.availability or lowest.availability.code),
            frozenset(rule.restrictions),
            self.id,
        ))

    def _label(self, spec: LabelSpec) -> Label:
        return Label(
            Confidentiality.from_code(spec.confidentiality),
            Integrity.from_code(spec.integrity),
            Availability.from_code(spec.availability),
            frozenset(spec.restrictions),
            self.id,
        )
