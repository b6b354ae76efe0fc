"""Office Open XML packages: find the main part, run the format's reader, then properties,
external link targets, and the generic pass over everything else.

The kind comes from the package itself (the officeDocument relationship and the content type
of its target), not from libmagic's guess, which depends on member order and calls many
valid documents plain ``application/zip``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from xml.etree.ElementTree import Element

from core.errors import CorruptFile, SekishoError
from handlers.extract.collector import Collector
from handlers.extract.docx import extract_docx
from handlers.extract.package import member_part, read_member, read_rest
from handlers.extract.pptx import extract_pptx
from handlers.extract.result import CORRUPT_PART, LIMIT_EXCEEDED
from handlers.extract.xlsx import extract_xlsx, resolve_target
from handlers.extract.xmlsafe import XmlTooComplex, element_text, parse_tree
from handlers.extract.zipsafe import SafeZip

CONTENT_TYPES = "[Content_Types].xml"
#: Relationship type of the main part, Transitional (…/2006/relationships/officeDocument)
#: and Strict (…/officeDocument/relationships/officeDocument) alike.
_OFFICE_DOCUMENT = "/officeDocument"
#: Substrings of the main part's content type -> the reader for it.
_KINDS: tuple[tuple[tuple[str, ...], Callable[[SafeZip, Collector, str], set[str]]], ...] = (
    (("wordprocessingml", "ms-word"), extract_docx),
    (("spreadsheetml", "ms-excel"), extract_xlsx),
    (("presentationml", "ms-powerpoint"), extract_pptx),
)
#: Fallback when the content type is missing: the conventional main part names.
_DEFAULT_MAIN = ("word/document.xml", "xl/workbook.xml", "ppt/presentation.xml")

#: docProps/core.xml and app.xml element -> metadata key (personal data: names, company).
CORE_PROPERTIES = {
    "creator": "author", "lastModifiedBy": "last_modified_by", "title": "title",
    "subject": "subject", "keywords": "keywords", "description": "description",
    "category": "category", "contentStatus": "content_status",
}
APP_PROPERTIES = {
    "Company": "company", "Manager": "manager", "Application": "creator_tool",
    "Template": "template", "HyperlinkBase": "hyperlink_base",
}
#: Binary members with their own content: pictures (OCR, EXIF) and embedded documents.
_EMBEDDED = re.compile(r"[^/]+/(media|embeddings)/.+")
#: Members walked elsewhere or without document text.
_SKIP = re.compile(r"(\[Content_Types\]\.xml|docProps/(core|app|custom)\.xml|.*\.rels"
                   r"|docProps/thumbnail\.\w+|.*/printerSettings/.*|.*/fonts/.*)")


def extract_ooxml(package: SafeZip, out: Collector) -> None:
    handled: set[str] = set()
    main_part, content_type = _main_part(package)
    if main_part is not None:
        reader = _reader_for(content_type, main_part)
        if reader is not None:
            handled |= reader(package, out, main_part)
    _properties(package, out)
    _custom_properties(package, out)
    _external_links(package, out)
    read_rest(package, out, handled, skip=lambda n: bool(_SKIP.fullmatch(n)),
              embedded=lambda n: bool(_EMBEDDED.fullmatch(n)))


def _main_part(package: SafeZip) -> tuple[str | None, str]:
    main = None
    try:
        rels = package.read_named("_rels/.rels")
        for rel in parse_tree(rels).iter("Relationship") if rels else ():
            if rel.get("Type", "").endswith(_OFFICE_DOCUMENT):
                main = resolve_target("", rel.get("Target", ""))
                break
    except SekishoError:
        main = None
    if main is None or package.find(main) is None:
        main = next((name for name in _DEFAULT_MAIN if package.find(name)), None)
    return main, _content_type(package, main) if main else ""


def _content_type(package: SafeZip, part: str) -> str:
    try:
        data = package.read_named(CONTENT_TYPES)
        tree = parse_tree(data) if data else None
    except SekishoError:
        return ""
    for override in tree.iter("Override") if tree is not None else ():
        if override.get("PartName", "").lstrip("/").lower() == part.lower():
            return override.get("ContentType", "")
    return ""


def _reader_for(
    content_type: str, main_part: str
) -> Callable[[SafeZip, Collector, str], set[str]] | None:
    for markers, reader in _KINDS:
        if any(marker in content_type for marker in markers):
            return reader
    # No usable content type: fall back to where the main part lives.
    by_folder = dict(zip(_DEFAULT_MAIN, (reader for _m, reader in _KINDS), strict=True))
    return by_folder.get(main_part)


def _properties(package: SafeZip, out: Collector) -> None:
    for name, keys in (("docProps/core.xml", CORE_PROPERTIES),
                       ("docProps/app.xml", APP_PROPERTIES)):
        tree = _small_tree(package, out, name)
        if tree is None:
            continue
        out.add_part(name)
        for element in tree.iter():
            if element.tag in keys:
                out.add_metadata(keys[element.tag], element_text(element))


def _custom_properties(package: SafeZip, out: Collector) -> None:
    """docProps/custom.xml: user-defined name/value pairs (and MSIP sensitivity labels)."""
    tree = _small_tree(package, out, "docProps/custom.xml")
    if tree is None:
        return
    lines = [f"{prop.get('name', '')}: {element_text(prop).strip()}"
             for prop in tree.iter("property")]
    out.add_text("\n".join(lines), "custom_properties")


def _external_links(package: SafeZip, out: Collector) -> None:
    """Hyperlink and external-reference targets (mailto: addresses, file server paths)."""
    targets: list[str] = []
    for info in package:
        if not info.filename.endswith(".rels"):
            continue
        tree = _small_tree(package, out, info.filename)
        for rel in tree.iter("Relationship") if tree is not None else ():
            if rel.get("TargetMode") == "External" and rel.get("Target"):
                targets.append(rel.get("Target", ""))
    out.add_text("\n".join(dict.fromkeys(targets)), "external_links")


def _small_tree(package: SafeZip, out: Collector, name: str) -> Element | None:
    info = package.find(name)
    data = read_member(package, info, out) if info is not None else None
    if info is None or data is None:
        return None
    try:
        return parse_tree(data)
    except XmlTooComplex:
        out.add_incomplete(LIMIT_EXCEEDED, member_part(package, info))
    except CorruptFile:
        out.add_incomplete(CORRUPT_PART, member_part(package, info))
    return None
