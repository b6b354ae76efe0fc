"""The rebuild: walk the relationships from the package root, keep what the allow-list
allows, rewrite every kept XML part through its filter, and write a new package.

One walk serves inspect, clean and verify (as for PDF): ``inspect`` reports the counts the
rebuild made, ``clean`` returns its output, and verification runs the same rebuild on a fresh
parse of that output, where nothing may be left to remove. Parts no relationship reaches are
never written (a payload appended as an extra ZIP entry is not "in" the document, but it
leaves with the file unless the rebuild drops it).
"""

from __future__ import annotations

import posixpath
from collections import deque
from dataclasses import dataclass, field

from core.errors import CorruptFile
from handlers.base import CleanOptions, PropertyValue
from handlers.ooxml import policy
from handlers.ooxml.family import Family
from handlers.ooxml.filters import PartContext, Tally, clean_part
from handlers.ooxml.media import clean_image
from handlers.ooxml.package import CONTENT_TYPES, ROOT, OpcPackage, Relationship
from handlers.ooxml.properties import metadata_keys
from handlers.ooxml.writer import PackageModel


@dataclass
class Rebuilt:
    data: bytes
    tally: Tally
    metadata_keys: tuple[str, ...]
    #: Kind -> removal sites, including the property parts (``core_properties``...).
    removed: dict[str, int]
    properties: dict[str, PropertyValue]


@dataclass
class _Plan:
    """Which parts and relationships survive, and why the others did not."""

    kept: dict[str, str] = field(default_factory=dict)
    rels: dict[str, list[Relationship]] = field(default_factory=dict)
    dropped: dict[str, dict[str, str]] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    pictures: dict[str, bytes] = field(default_factory=dict)
    reached: set[str] = field(default_factory=set)
    #: Dropped parts whose own relationships may reach further parts (counted as dropped
    #: with them, not as unreferenced).
    dropped_parts: list[str] = field(default_factory=list)


def rebuild(package: OpcPackage, family: Family, options: CleanOptions) -> Rebuilt:
    tally = Tally()
    plan = _Walk(package, family, options, tally).run()
    model = PackageModel(main=package.main)
    for name, content_type in plan.kept.items():
        model.add(name, _part_bytes(package, family, options, plan, tally, name),
                  family.output_main_type if name == package.main else content_type)
    model.rels = {source: rels for source, rels in plan.rels.items() if rels}
    keys: list[str] = []
    removed = dict(tally.hazards)
    for name, prefix in plan.metadata.items():
        keys += metadata_keys(prefix, package.read(name))
        removed[f"{prefix}_properties"] = removed.get(f"{prefix}_properties", 0) + 1
    return Rebuilt(model.to_bytes(), tally, tuple(sorted(set(keys))), removed,
                   _properties(package, family, plan))


def _part_bytes(package: OpcPackage, family: Family, options: CleanOptions, plan: _Plan,
                tally: Tally, name: str) -> bytes:
    if name in plan.pictures:
        return plan.pictures[name]
    context = PartContext(
        options, tally,
        kept_ids=frozenset(rel.id for rel in plan.rels.get(name, [])),
        dropped_ids=plan.dropped.get(name, {}),
    )
    return clean_part(family.filter_for(plan.kept[name]), context, package.read(name))


def _properties(package: OpcPackage, family: Family, plan: _Plan) -> dict[str, PropertyValue]:
    mime = family.main_types[package.main_type]
    return {
        "format": mime,
        "macro_enabled": ".macroenabled." in mime,
        "parts": len(package.names()),
        "parts_kept": len(plan.kept),
    }


def _relative(source: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(source) or ".")


class _Walk:
    """Breadth-first over relationships; every relationship is judged exactly once."""

    def __init__(self, package: OpcPackage, family: Family, options: CleanOptions,
                 tally: Tally) -> None:
        self._package = package
        self._family = family
        self._options = options
        self._tally = tally
        self._plan = _Plan()

    def run(self) -> _Plan:
        queue: deque[str] = deque([ROOT])
        while queue:
            source = queue.popleft()
            for relationship in self._package.relationships(source):
                target = self._judge(source, relationship)
                if target is not None and target not in self._plan.kept:
                    self._plan.kept[target] = self._package.content_type(target) or ""
                    queue.append(target)
                if target is not None:
                    # Written back as the plain relative path of the part that was checked,
                    # never the original spelling ("a/../b", "%2e", a "#fragment").
                    self._plan.rels.setdefault(source, []).append(Relationship(
                        relationship.id, relationship.type, _relative(source, target), False))
        self._count_unreferenced()
        return self._plan

    def _judge(self, source: str, rel: Relationship) -> str | None:
        """The target to keep, or None after recording why the relationship was dropped."""
        if rel.short_type == policy.HYPERLINK:
            self._hyperlink(source, rel)
            return None
        target, drop_kind = self._verdict(source, rel)
        if drop_kind is not None:
            self._drop(source, rel, drop_kind)
            return None
        return target

    def _verdict(self, source: str, rel: Relationship) -> tuple[str | None, str | None]:
        """(target, None) to keep it, or (None, removal kind; "" for an unreported drop)."""
        kind = rel.short_type
        if rel.external:
            return None, policy.EXTERNAL_KINDS.get(kind, policy.EXTERNAL_OTHER)
        target = self._package.resolve(source, rel)
        if target is None:
            return None, policy.DANGLING_RELATIONSHIP
        self._plan.reached.add(target)
        if kind in policy.METADATA_PARTS:
            self._plan.metadata.setdefault(target, policy.METADATA_PARTS[kind])
            return None, ""
        if kind in policy.REGENERATED:
            return None, ""
        if not self._allowed(source, kind, target):
            self._plan.dropped_parts.append(target)
            return None, policy.DROPPED_KINDS.get(kind, policy.UNKNOWN_PART)
        if not self._picture_ok(target):
            return None, policy.UNKNOWN_PART
        return target, None

    def _allowed(self, source: str, kind: str, target: str) -> bool:
        if kind == policy.OFFICE_DOCUMENT:
            return source == ROOT and target == self._package.main
        content_type = (self._package.content_type(target) or "").lower()
        return content_type in self._family.allowed.get(kind, frozenset())

    def _picture_ok(self, target: str) -> bool:
        content_type = (self._package.content_type(target) or "").lower()
        if content_type not in policy.IMAGE_TYPES or target in self._plan.pictures:
            return True
        cleaned = clean_image(self._package.read(target), content_type)
        if cleaned is None:
            return False
        self._plan.pictures[target], stripped = cleaned
        if stripped:
            self._tally.hazards[policy.IMAGE_METADATA] += 1
        return True

    def _hyperlink(self, source: str, rel: Relationship) -> None:
        if self._options.remove_links:
            self._drop(source, rel, policy.HYPERLINK)
        elif not rel.external or not policy.safe_link(rel.target):
            self._drop(source, rel, policy.UNSAFE_LINK)
        else:
            self._plan.rels.setdefault(source, []).append(rel)

    def _drop(self, source: str, rel: Relationship, kind: str) -> None:
        """Record a dropped relationship; an empty kind is dropped without being reported."""
        self._plan.dropped.setdefault(source, {})[rel.id] = kind or "metadata"
        if kind:
            self._tally.hazards[kind] += 1

    def _reach_through_dropped(self) -> None:
        """Mark what dropped parts refer to (an ActiveX control's binary, a custom XML
        item's properties): gone with their parent, not hidden extra entries."""
        queue = deque(self._plan.dropped_parts)
        while queue:
            part = queue.popleft()
            try:
                relationships = self._package.relationships(part)
            except CorruptFile:
                continue  # a damaged .rels of a part that is dropped anyway
            for rel in relationships:
                target = self._package.resolve(part, rel)
                if target is not None and target not in self._plan.reached:
                    self._plan.reached.add(target)
                    queue.append(target)

    def _count_unreferenced(self) -> None:
        self._reach_through_dropped()
        known = self._plan.reached | set(self._plan.kept) | {CONTENT_TYPES}
        for name in self._package.names():
            if name not in known and not name.lower().endswith(".rels"):
                self._tally.hazards[policy.UNREFERENCED_PART] += 1
