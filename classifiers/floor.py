"""findings + profile -> the label floor: the least label the evidence allows (pure).

Each finding looks up its profile rule (``markings`` by marking id, ``entity_floors`` by entity
type); the floor is the lowest label combined (highest wins, restrictions united: LBL-07) with
every rule's label, plus the restriction bundle its final levels carry (Chiba 6.1). Reasons
say which rule set what, with the profile's ``ref``; equal reasons are merged with the
indices of the findings behind them, so a list of 10,000 numbers gives one reason.

The floor is evidence only. The service combines it with the person's proposal or the
profile's ``default_label`` (a person may go higher, never lower), and checks the result
against ``profile.ceiling`` (CLS-09).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from classifiers.findings import Finding
from core.labels import AXES, Label
from core.profiles import FloorRule, Profile

RESTRICTION = "restriction"


@dataclass(frozen=True)
class Reason:
    source: str  # "marking:gokuhi", "entity:JP_MY_NUMBER" or "level:confidentiality.C2"
    axis: str  # "confidentiality" | "integrity" | "availability" | "restriction"
    value: str  # a level code or a restriction code
    ref: str
    findings: tuple[int, ...] = ()  # indices into the findings list
    note: str | None = None
    decisive: bool = False  # True when this reason alone reaches the floor's level

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source, "axis": self.axis, "value": self.value, "ref": self.ref,
            "findings": list(self.findings), "decisive": self.decisive,
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Floor:
    label: Label
    reasons: tuple[Reason, ...]
    unmapped: tuple[str, ...] = field(default=())  # marking ids / entity types with no rule

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label.to_dict(),
            "reasons": [r.to_dict() for r in self.reasons],
            "unmapped": list(self.unmapped),
        }


def _rule_key(finding: Finding) -> str:
    if finding.marking is not None:
        return f"marking:{finding.marking}"
    return f"entity:{finding.entity_type}"


def _lookup(source: str, profile: Profile) -> FloorRule | None:
    kind, _, key = source.partition(":")
    return profile.marking_rule(key) if kind == "marking" else profile.entity_rule(key)


def _contributions(rule: FloorRule, lowest: Label) -> list[tuple[str, str]]:
    """(axis, value) pairs by which ``rule`` raises the lowest label."""
    out = []
    for axis in AXES:
        code = getattr(rule, axis.value)
        if code is not None and code != lowest.level(axis).code:
            out.append((axis.value, code))
    out.extend((RESTRICTION, code) for code in rule.restrictions)
    return out


class _Reasons:
    """Accumulates reasons keyed by (source, axis, value), remembering finding indices."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str, str], tuple[str, str | None, list[int]]] = {}

    def add(self, key: tuple[str, str, str], ref: str, note: str | None,
            indices: Sequence[int] = ()) -> None:
        self._items.setdefault(key, (ref, note, []))[2].extend(indices)

    def build(self, final: Label) -> tuple[Reason, ...]:
        out = []
        for (source, axis, value), (ref, note, indices) in self._items.items():
            decisive = axis == RESTRICTION or final.to_dict()[axis] == value
            out.append(Reason(source, axis, value, ref, tuple(indices), note, decisive))
        return tuple(out)


def _group(
    findings: Sequence[Finding], profile: Profile
) -> tuple[dict[str, tuple[FloorRule, list[int]]], set[str]]:
    """Findings that count, grouped by rule (one rule lookup per kind, not per finding:
    a document can hold tens of thousands of findings)."""
    rules: dict[tuple[str | None, str], tuple[str, FloorRule | None]] = {}
    groups: dict[str, tuple[FloorRule, list[int]]] = {}
    unmapped: set[str] = set()
    for index, finding in enumerate(findings):
        kind = (finding.marking, finding.entity_type)
        known = rules.get(kind)
        if known is None:
            source = _rule_key(finding)
            known = rules[kind] = (source, _lookup(source, profile))
        source, rule = known
        if rule is None:
            unmapped.add(finding.rule_key)
        elif finding.score >= rule.min_score:
            group = groups.get(source)
            if group is None:
                group = groups[source] = (rule, [])
            group[1].append(index)
    return groups, unmapped


def floor_for(findings: Sequence[Finding], profile: Profile) -> Floor:
    lowest = Label.lowest(profile.id)
    label = profile.lowest_label
    reasons = _Reasons()
    groups, unmapped = _group(findings, profile)
    for source, (rule, indices) in groups.items():
        label = label.combine(profile.rule_label(rule))
        for axis_name, value in _contributions(rule, lowest):
            reasons.add((source, axis_name, value), rule.ref, rule.note, indices)
    for axis in AXES:
        code = label.level(axis).code
        spec = profile.level_spec(axis, code)
        for restriction in spec.restrictions:
            reasons.add((f"level:{axis.value}.{code}", RESTRICTION, restriction), spec.ref, None)
    label = profile.with_implied(label)
    return Floor(label, reasons.build(label), tuple(sorted(unmapped)))
