"""meta.xml and settings.xml, rebuilt from allow-lists.

meta.xml (Saitama 第3 4(3) 属性情報): every field goes (initial creator, last editor, dates,
editing cycles and duration, generator, template, printed-by, title, subject, keywords,
description, user-defined properties) except the document statistics (counts of pages and
words) and the language. Our label comes back only through ``write_label`` as the one
user-defined property ``SekishoClassification`` (Chiba 6.2(2), LBL-01); a label that was
already in the input is removed like any other property, so a forged label cannot ride
through cleaning.

settings.xml: only scalar settings of ``ooo:configuration-settings`` survive (layout
compatibility flags that keep the document looking the same). View settings (cursor
position, active sheet by name, window sizes), printer name and driver data
(``PrinterSetup`` is the driver's binary blob), database connections and every string or
binary item outside a short list of known enumerations are dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from xml.etree.ElementTree import Element, SubElement

from handlers.labelcodec import decode_label
from handlers.odf.names import CONFIG, DC, META, OFFICE, qn, readable
from handlers.odf.xmltree import Part, serialise

LABEL_PROPERTY = "SekishoClassification"
#: How the label is reported in ``Inspection.metadata_keys`` (the only key verify accepts).
LABEL_KEY = f"meta:user-defined:{LABEL_PROPERTY}"
_OFFICE_META = qn(OFFICE, "meta")
_USER_DEFINED = qn(META, "user-defined")
_META_NAME = qn(META, "name")
_STATISTIC = qn(META, "document-statistic")
_LANGUAGE = qn(DC, "language")
#: Kept: structural facts, not attributes of people.
_KEPT = frozenset({_STATISTIC, _LANGUAGE})
_STATISTIC_ATTRIBUTES = frozenset(
    qn(META, name) for name in (
        "page-count", "table-count", "draw-count", "image-count", "ole-object-count",
        "object-count", "paragraph-count", "word-count", "character-count",
        "non-whitespace-character-count", "row-count", "frame-count", "sentence-count",
        "syllable-count", "cell-count",
    )
)
_COUNT = re.compile(r"\d{1,12}")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,4}")


def meta_keys(meta: Part | None) -> list[str]:
    """Names of the metadata fields present (never values); user-defined property names are
    chosen by the author, so all but ours are reported as ``meta:user-defined``."""
    if meta is None:
        return []
    keys: list[str] = []
    for field in _fields(meta):
        if field.tag in _KEPT:
            continue
        if field.tag == _USER_DEFINED:
            key = LABEL_KEY if field.get(_META_NAME) == LABEL_PROPERTY else "meta:user-defined"
        else:
            key = readable(field.tag)
        if key not in keys:
            keys.append(key)
    return keys


def _fields(meta: Part) -> list[Element]:
    container = meta.root.find(_OFFICE_META)
    return [] if container is None else list(container)


def build_meta(meta: Part | None, version: str | None, label: str | None = None) -> bytes:
    root = Element(qn(OFFICE, "document-meta"), _version(version))
    container = SubElement(root, _OFFICE_META)
    for field in _fields(meta) if meta is not None else []:
        if field.tag == _STATISTIC:
            counts = {k: v for k, v in field.attrib.items()
                      if k in _STATISTIC_ATTRIBUTES and _COUNT.fullmatch(v)}
            SubElement(container, _STATISTIC, counts)
        elif field.tag == _LANGUAGE and _LANGUAGE_TAG.fullmatch((field.text or "").strip()):
            SubElement(container, _LANGUAGE).text = (field.text or "").strip()
    if label is not None:
        SubElement(container, _USER_DEFINED,
                   {_META_NAME: LABEL_PROPERTY, qn(META, "value-type"): "string"}).text = label
    return serialise(Part(root))


def label_in(meta: Part) -> dict[str, object] | None:
    for field in _fields(meta):
        if field.tag == _USER_DEFINED and field.get(_META_NAME) == LABEL_PROPERTY:
            return decode_label("".join(field.itertext()))
    return None


def _version(version: str | None) -> dict[str, str]:
    return {} if version is None else {qn(OFFICE, "version"): version}


# --- settings.xml ----------------------------------------------------------------------------
APPLICATION_SETTINGS = "application_settings"
PRINTER_SETTINGS = "printer_settings"
_KEPT_SET = "ooo:configuration-settings"
_ITEM = qn(CONFIG, "config-item")
_ITEM_SET = qn(CONFIG, "config-item-set")
_NAME = qn(CONFIG, "name")
_TYPE = qn(CONFIG, "type")
_ITEM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_VALUES = {
    "boolean": re.compile(r"true|false"),
    "short": re.compile(r"-?\d{1,6}"),
    "int": re.compile(r"-?\d{1,11}"),
    "long": re.compile(r"-?\d{1,20}"),
    "double": re.compile(r"-?\d{1,20}(?:\.\d{1,20})?(?:[eE][-+]?\d{1,3})?"),
}
#: String settings kept because their values come from a fixed set (layout compatibility).
_ENUMERATIONS = {"PrinterIndependentLayout": frozenset({"disabled", "low-resolution",
                                                        "high-resolution"})}


def filter_settings(settings: Part | None) -> tuple[list[Element], Counter[str]]:
    """The configuration items kept, and the kinds and counts of those dropped."""
    if settings is None:
        return [], Counter()
    kept = [item for item_set in settings.root.iter(_ITEM_SET)
            if item_set.get(_NAME) == _KEPT_SET
            for item in item_set if item.tag == _ITEM and _allowed(item)]
    kept_ids = {id(item) for item in kept}
    dropped: Counter[str] = Counter()
    for item in settings.root.iter(_ITEM):
        if id(item) not in kept_ids:
            name = item.get(_NAME, "")
            dropped[PRINTER_SETTINGS if name.startswith("Printer") else APPLICATION_SETTINGS] += 1
    return kept, dropped


def _allowed(item: Element) -> bool:
    name, kind, value = item.get(_NAME, ""), item.get(_TYPE, ""), (item.text or "").strip()
    if not _ITEM_NAME.fullmatch(name) or len(item):
        return False
    if kind == "string":
        return value in _ENUMERATIONS.get(name, frozenset())
    pattern = _VALUES.get(kind)
    return pattern is not None and bool(pattern.fullmatch(value))


def build_settings(items: list[Element], version: str | None) -> bytes | None:
    if not items:
        return None
    root = Element(qn(OFFICE, "document-settings"), _version(version))
    item_set = SubElement(SubElement(root, qn(OFFICE, "settings")), _ITEM_SET,
                          {_NAME: _KEPT_SET})
    for item in items:
        SubElement(item_set, _ITEM, {_NAME: item.get(_NAME, ""), _TYPE: item.get(_TYPE, "")}
                   ).text = (item.text or "").strip()
    return serialise(Part(root))
