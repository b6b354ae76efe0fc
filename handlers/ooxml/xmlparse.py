"""Hardened expat for OOXML parts, and the checked copy of parts no filter touches.

The protections of ``handlers.extract.xmlsafe`` (no DTD, no entity declarations, no external
entities), on a parser that reports namespace prefixes so that parts can be written back
exactly as they were.
"""

from __future__ import annotations

import codecs
import re
from xml.parsers import expat

from handlers.extract.xmlsafe import XmlCorrupt, XmlForbidden
from handlers.ooxml.xmlnode import SEPARATOR

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
_DECLARED_ENCODING = re.compile(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]+)""")
_PROLOG = re.compile(r"\s*<\?xml[^>]*\?>")
_ROOT_START = re.compile(rb"<[^?!]")
_UTF8 = frozenset({"utf-8", "utf8"})


def hardened_parser() -> expat.XMLParserType:
    """An expat parser for UTF-8 input that refuses DTDs and entities."""
    parser = expat.ParserCreate("UTF-8", namespace_separator=SEPARATOR)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.UnparsedEntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid
    return parser


def parse(parser: expat.XMLParserType, data: bytes) -> None:
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        # The expat message names a line and column, never content; keep only the code.
        raise XmlCorrupt(f"XML is not well-formed (expat error {exc.code})") from exc


def as_utf8(untrusted_xml: bytes) -> bytes:
    """The part in UTF-8 without BOM or declaration (transcoded if it declares otherwise)."""
    if untrusted_xml.startswith(codecs.BOM_UTF8):
        return untrusted_xml[len(codecs.BOM_UTF8):]
    if untrusted_xml.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _transcode(untrusted_xml, "utf-16")
    declared = _DECLARED_ENCODING.match(untrusted_xml)
    if declared is None or declared.group(1).decode().lower() in _UTF8:
        return untrusted_xml
    return _transcode(untrusted_xml, declared.group(1).decode())


def _transcode(untrusted_xml: bytes, encoding: str) -> bytes:
    try:
        text = untrusted_xml.decode(encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise XmlCorrupt("the part is not in the encoding it declares") from exc
    return _PROLOG.sub("", text, count=1).encode("utf-8")


def checked_copy(untrusted_xml: bytes) -> bytes:
    """A part no filter needs to touch: parsed in full (well-formed, namespace-correct, no
    DTD), then copied with the same fixed declaration a rewrite writes, so that a copy and
    a rewrite without edits are byte-identical."""
    data = as_utf8(untrusted_xml)
    parse(hardened_parser(), data)
    # Comments and processing instructions send a part down the full rewrite, so what
    # precedes the root here is the declaration and whitespace, and what follows it blanks.
    root = _ROOT_START.search(data)
    if root is None:
        raise XmlCorrupt("the part has no root element")
    return XML_DECLARATION.encode() + data[root.start():].rstrip()




def _forbid(*_args: object) -> int:
    # Handlers expat expects to return a status: raising aborts the parse instead.
    raise XmlForbidden()
