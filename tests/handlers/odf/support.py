"""Shared helpers for the ODF handler tests."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

from handlers.base import DEFAULT_OPTIONS, CleanOptions
from handlers.odf import OdfHandler, OdpHandler, OdsHandler, OdtHandler

HANDLERS: dict[str, type[OdfHandler]] = {
    "text": OdtHandler, "spreadsheet": OdsHandler, "presentation": OdpHandler,
}
KINDS = sorted(HANDLERS)
NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "dc": "http://purl.org/dc/elements/1.1/",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "presentation": "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0",
    "config": "urn:oasis:names:tc:opendocument:xmlns:config:1.0",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
    "form": "urn:oasis:names:tc:opendocument:xmlns:form:1.0",
}


def clean(handler: type[OdfHandler], data: bytes,
          options: CleanOptions = DEFAULT_OPTIONS) -> tuple[bytes, dict[str, int]]:
    with handler.open(data, options) as document:
        cleaned = document.clean()
        return cleaned, dict(document.removed)


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def xml(data: bytes, name: str) -> ElementTree.Element:
    return ElementTree.fromstring(members(data)[name])


def q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def hrefs(root: ElementTree.Element) -> list[str]:
    return [e.get(q("xlink:href"), "") for e in root.iter() if q("xlink:href") in e.attrib]


def rezip(data: bytes, replace: dict[str, bytes | None], *, first: str = "mimetype") -> bytes:
    """A copy of a package with members replaced, added or (None) removed."""
    parts = {**members(data), **replace}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(parts, key=lambda n: n != first):
            body = parts[name]
            if body is not None:
                method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
                archive.writestr(name, body, compress_type=method)
    return out.getvalue()
