"""Cross-reference checks on a parsed profile, each problem as ``(field path, message)``.

Pydantic checks each field on its own; these checks need the whole document: every
restriction code used anywhere is declared, marking ids and entity types are the canonical
ones, bundles never shrink as a level rises (a stricter level must not drop a restriction),
and the default label fits under the ceiling.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import pairwise

from core.labels import AXES, ENTITY_TYPES, MARKING_IDS
from core.profiles.schema import FloorRule, LevelSpec, ProfileDocument

Problem = tuple[str, str]


def check_document(doc: ProfileDocument, expected_id: str) -> list[Problem]:
    problems: list[Problem] = []
    if doc.id != expected_id:
        # The file name is the override key in load_profiles(); they must agree.
        problems.append(("id", f"must equal the file name {expected_id!r}, got {doc.id!r}"))
    problems.extend(_restriction_refs(doc))
    problems.extend(_bundle_growth(doc))
    problems.extend(_rule_keys(doc.markings, "markings", MARKING_IDS))
    entity_types = ENTITY_TYPES - {"CLASSIFICATION_MARKING"}  # markings have their own table
    problems.extend(_rule_keys(doc.entity_floors, "entity_floors", entity_types))
    problems.extend(_every_entity_has_a_floor(doc, entity_types))
    problems.extend(_rule_keys({"unreadable_floor": doc.unreadable_floor}, "profile",
                               frozenset({"unreadable_floor"})))
    problems.extend(_aggregates(doc))
    problems.extend(_default_under_ceiling(doc))
    problems.extend(_export_rules(doc))
    return problems


def level_items(doc: ProfileDocument) -> Iterator[tuple[str, str, LevelSpec]]:
    """(axis, code, spec) for every level, strictest first on each axis."""
    for axis in AXES:
        for code in axis.levels.codes():
            yield axis.value, code, getattr(getattr(doc.levels, axis.value), code)


def _used_restrictions(doc: ProfileDocument) -> Iterator[tuple[str, str]]:
    for axis, code, spec in level_items(doc):
        for i, r in enumerate(spec.restrictions):
            yield f"levels.{axis}.{code}.restrictions[{i}]", r
    for i, r in enumerate(doc.default_label.restrictions):
        yield f"default_label.restrictions[{i}]", r
    for table, rules in (("markings", doc.markings), ("entity_floors", doc.entity_floors)):
        for key, rule in rules.items():
            for i, r in enumerate(rule.restrictions):
                yield f"{table}.{key}.restrictions[{i}]", r
    for i, r in enumerate(doc.unreadable_floor.restrictions):
        yield f"unreadable_floor.restrictions[{i}]", r
    for i, r in enumerate(doc.ceiling.refused_restrictions):
        yield f"ceiling.refused_restrictions[{i}]", r
    for code in doc.handling.enforcement:
        yield f"handling.enforcement.{code}", code
    for n, export_rule in enumerate(doc.handling.export_rules):
        for i, r in enumerate(export_rule.when.restrictions):
            yield f"handling.export_rules[{n}].when.restrictions[{i}]", r


def _restriction_refs(doc: ProfileDocument) -> Iterator[Problem]:
    for path, code in _used_restrictions(doc):
        if code not in doc.restrictions:
            yield path, f"unknown restriction {code!r} (declared: {', '.join(doc.restrictions)})"


def _bundle_growth(doc: ProfileDocument) -> Iterator[Problem]:
    for axis in AXES:
        codes = axis.levels.codes()
        specs = getattr(doc.levels, axis.value)
        for higher, lower in pairwise(codes):
            missing = set(getattr(specs, lower).restrictions) - set(
                getattr(specs, higher).restrictions
            )
            if missing:
                yield (
                    f"levels.{axis.value}.{higher}.restrictions",
                    f"must include every restriction of {lower} (missing: "
                    f"{', '.join(sorted(missing))})",
                )


def _rule_keys(rules: Mapping[str, FloorRule], table: str, known: frozenset[str]) -> Iterator[
    Problem
]:
    for key, rule in rules.items():
        where = key if table == "profile" else f"{table}.{key}"
        if key not in known:
            yield where, f"unknown id (known: {', '.join(sorted(known))})"
        if not (rule.confidentiality or rule.integrity or rule.availability or rule.restrictions):
            yield where, "must set at least one level or restriction"


def _every_entity_has_a_floor(doc: ProfileDocument, known: frozenset[str]) -> Iterator[Problem]:
    # A detected entity without a rule would be reported as "unmapped" and raise nothing:
    # each profile must decide, even if the decision is the lowest level (corporate numbers
    # are published by the National Tax Agency).
    for entity_type in sorted(known - set(doc.entity_floors)):
        yield f"entity_floors.{entity_type}", "missing: every entity type needs a floor rule"


def _aggregates(doc: ProfileDocument) -> Iterator[Problem]:
    for key, agg in doc.aggregates.items():
        if not (agg.confidentiality or agg.integrity or agg.availability):
            yield f"aggregates.{key}", "must list at least one level"


def _default_under_ceiling(doc: ProfileDocument) -> Iterator[Problem]:
    refused = set(doc.ceiling.refused_restrictions) & set(doc.default_label.restrictions)
    if refused:
        yield "default_label.restrictions", f"refused by the ceiling: {', '.join(sorted(refused))}"
    for axis in AXES:
        levels = axis.levels
        default = levels.from_code(getattr(doc.default_label, axis.value))
        ceiling = levels.from_code(getattr(doc.ceiling, axis.value))
        if default > ceiling:
            yield (
                f"default_label.{axis.value}",
                f"{default.code} is above the ceiling {ceiling.code}",
            )


def _export_rules(doc: ProfileDocument) -> Iterator[Problem]:
    seen: set[str] = set()
    for n, rule in enumerate(doc.handling.export_rules):
        if rule.id in seen:
            yield f"handling.export_rules[{n}].id", f"duplicate rule id {rule.id!r}"
        seen.add(rule.id)
        for i, code in enumerate(rule.when.aggregates):
            if code not in doc.aggregates:
                yield (f"handling.export_rules[{n}].when.aggregates[{i}]",
                       f"unknown aggregate {code!r}")
