"""Document properties: which fields a package carries, and our label as a custom property.

docProps/core.xml (author, last editor, dates, title...), app.xml (company, manager,
template, editing time, the titles of every sheet and slide) and custom.xml (user-defined
fields, Microsoft sensitivity labels) are dropped whole by the rebuild (Saitama 第3 4(3)
属性情報). Inspection reports their field *names*; values are never read into a report.
``write_label`` then writes custom.xml back with one property, ``SekishoClassification``,
holding the label as canonical JSON (Chiba 6.2(2): the label shown in the file properties).
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape, quoteattr

from core.errors import SekishoError
from handlers.extract.xmlsafe import element_text, parse_tree
from handlers.labelcodec import decode_label, encode_label

LABEL_PROPERTY = "SekishoClassification"
#: The metadata key under which ``inspect`` reports our label; the only one verify accepts.
LABEL_KEY = f"custom:{LABEL_PROPERTY}"
CUSTOM_PART = "docProps/custom.xml"
_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
#: The format id Office gives user-defined properties.
_USER_DEFINED_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
#: Field names reported as they are; anything else (a name is chosen by the author, and
#: may itself be content) is reported as a generic key.
_SAFE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,99}")


def metadata_keys(prefix: str, untrusted_xml: bytes | None) -> list[str]:
    """``core:creator``, ``app:Company``, ``custom:MSIP_Label_..._Enabled``; never values."""
    try:
        tree = parse_tree(untrusted_xml) if untrusted_xml is not None else None
    except SekishoError:
        return [f"{prefix}:unreadable"]
    if tree is None:
        return [f"{prefix}:unreadable"]
    if prefix == "custom":
        names = [prop.get("name", "") for prop in tree.iter("property")]
    else:
        names = [child.tag for child in tree]
    keys = {f"{prefix}:{_reportable(name)}" for name in names}
    if len(names) != len(set(names)):
        keys.add(f"{prefix}:(duplicate)")  # a second copy of a name, ours included
    return sorted(keys)


def _reportable(name: str) -> str:
    return name if _SAFE_NAME.fullmatch(name) else "(other)"


def custom_properties_xml(label: dict[str, object]) -> bytes:
    """custom.xml holding only our label (LabelTooLarge for an oversized label)."""
    value = escape(encode_label(label))
    prop = (f'<property fmtid="{_USER_DEFINED_FMTID}" pid="2" name={quoteattr(LABEL_PROPERTY)}>'
            f"<vt:lpwstr>{value}</vt:lpwstr></property>")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
            f'<Properties xmlns="{_CUSTOM_NS}" xmlns:vt="{_VT_NS}">{prop}</Properties>'
            ).encode()


def label_from_custom_xml(untrusted_xml: bytes) -> dict[str, object] | None:
    try:
        tree = parse_tree(untrusted_xml)
    except SekishoError:
        return None
    return next((decode_label(element_text(prop)) for prop in _label_properties(tree)), None)


def _label_properties(tree: Element) -> list[Element]:
    return [prop for prop in tree.iter("property") if prop.get("name") == LABEL_PROPERTY]
