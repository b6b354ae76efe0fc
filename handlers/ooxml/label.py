"""Writing our label into a cleaned package and reading it back (Chiba 6.2(2), LBL-01).

The label goes into docProps/custom.xml as the single custom property
``SekishoClassification`` (file properties), and the profile's visible line goes where each
application shows it on every page: Word headers and footers of every section, Excel print
headers of every sheet, a text box at the foot of every slide. Relabelling replaces our
earlier marking instead of adding a second one.
"""

from __future__ import annotations

from handlers.base import LabelStamp
from handlers.ooxml import policy
from handlers.ooxml.family import EXCEL, POWERPOINT, WORD, Family
from handlers.ooxml.label_sheet import stamp_sheets
from handlers.ooxml.label_slide import stamp_slides
from handlers.ooxml.label_word import stamp_word
from handlers.ooxml.package import CONTENT_TYPES, ROOT, OpcPackage, Relationship
from handlers.ooxml.properties import (
    CUSTOM_PART,
    custom_properties_xml,
    label_from_custom_xml,
)
from handlers.ooxml.writer import PackageModel


def embed_label(package: OpcPackage, family: Family, stamp: LabelStamp) -> bytes:
    model = model_of(package)
    custom = custom_properties_xml(dict(stamp.label))
    model.rels[ROOT] = [rel for rel in model.rels.get(ROOT, [])
                        if rel.short_type != policy.CUSTOM_PROPERTIES]
    model.add(CUSTOM_PART, custom, policy.CUSTOM_PROPERTIES_TYPE)
    model.rels[ROOT].append(Relationship(
        model.fresh_id(ROOT), policy.CUSTOM_PROPERTIES_URI, CUSTOM_PART, external=False))
    if family is WORD:
        stamp_word(model, stamp.visible)
    elif family is EXCEL:
        stamp_sheets(model, stamp.visible)
    elif family is POWERPOINT:
        stamp_slides(model, stamp.visible)
    return model.to_bytes()


def extract_label(package: OpcPackage) -> dict[str, object] | None:
    for rel in package.relationships(ROOT):
        if rel.short_type == policy.CUSTOM_PROPERTIES:
            target = package.resolve(ROOT, rel)
            return label_from_custom_xml(package.read(target)) if target else None
    return None


def model_of(package: OpcPackage) -> PackageModel:
    """Every part of an (already clean) package, with its content type and relationships."""
    model = PackageModel(main=package.main)
    for name in package.names():
        if name != CONTENT_TYPES and not name.lower().endswith(".rels"):
            model.add(name, package.read(name), package.content_type(name) or "")
    for source in [ROOT, *model.parts]:
        relationships = package.relationships(source)
        if relationships:
            model.rels[source] = list(relationships)
    return model
