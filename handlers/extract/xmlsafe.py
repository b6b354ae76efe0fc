"""Hostile-XML parsing for OOXML and ODF parts, on the standard library's expat.

Why not ElementTree directly: it expands internal entities (billion laughs) and builds the
whole tree. Why not defusedxml: it is the same expat with the same three handlers set below,
and the standard library is preferred. What this parser does:

* refuses any DOCTYPE, entity declaration or external entity: OOXML and ODF parts never have
  one, so their presence is an attack (XXE, entity expansion), never a document;
* streams: callers receive start/end/data events and keep only the text they need, so a
  64 MB sheet is not turned into a gigabyte of element objects;
* bounds nesting depth and element count (handlers/extract/limits.py);
* hands callers *local* names (``t`` for ``w:t`` and ``a:t``; ``val`` for ``w:val``): the
  walkers treat Transitional and Strict OOXML, and DrawingML text inside Word, alike.
"""

from __future__ import annotations

from typing import Protocol
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from core.errors import CorruptFile, LimitExceeded
from handlers.extract.limits import MAX_XML_DEPTH, MAX_XML_ELEMENTS


class XmlCorrupt(CorruptFile):
    code = "xml_corrupt"
    default_message = "an XML part is not well-formed"


class XmlForbidden(CorruptFile):
    """A DTD or entity declaration: never legitimate in the formats read here."""

    code = "xml_forbidden"
    default_message = "an XML part declares a DTD or entities"


class XmlTooComplex(LimitExceeded):
    code = "xml_too_complex"
    default_message = "an XML part nests deeper or has more elements than the parser walks"


class XmlTarget(Protocol):
    """Receives parse events; the same protocol as ``xml.etree.ElementTree.TreeBuilder``."""

    def start(self, tag: str, attrs: dict[str, str], /) -> object: ...

    def end(self, tag: str, /) -> object: ...

    def data(self, data: str, /) -> object: ...


def local_name(name: str) -> str:
    """``"uri local"`` (expat with a namespace separator) -> ``"local"``."""
    return name.rpartition(" ")[2]


class _Guard:
    """Forwards expat events to a target with local names, counting depth and elements."""

    def __init__(self, target: XmlTarget) -> None:
        self._target = target
        self._depth = 0
        self._elements = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self._depth += 1
        self._elements += 1
        if self._depth > MAX_XML_DEPTH:
            raise XmlTooComplex(f"elements nest deeper than {MAX_XML_DEPTH}")
        if self._elements > MAX_XML_ELEMENTS:
            raise XmlTooComplex(f"more than {MAX_XML_ELEMENTS} elements")
        self._target.start(local_name(name), {local_name(k): v for k, v in attrs.items()})

    def end(self, name: str) -> None:
        self._depth -= 1
        self._target.end(local_name(name))

    def data(self, text: str) -> None:
        self._target.data(text)


def _forbid(*_args: object) -> int:
    # Handlers that expat expects to return a status: raising aborts the parse instead.
    raise XmlForbidden()


def parse_xml(untrusted_xml: bytes, target: XmlTarget) -> None:
    """Stream a hostile XML document into ``target``.

    Raises XmlCorrupt (not well-formed), XmlForbidden (DTD/entities) or XmlTooComplex. Events
    delivered before the error stay delivered: a caller may keep the text read so far.
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.UnparsedEntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid
    parser.buffer_text = True
    guard = _Guard(target)
    parser.StartElementHandler = guard.start
    parser.EndElementHandler = guard.end
    parser.CharacterDataHandler = guard.data
    try:
        parser.Parse(untrusted_xml, True)
    except expat.ExpatError as exc:
        # The expat message names a line and column, never content; keep only the code.
        raise XmlCorrupt(f"XML is not well-formed (expat error {exc.code})") from exc


def parse_tree(untrusted_xml: bytes) -> Element:
    """A small part (relationships, properties, manifest) as an element tree, local names."""
    builder = TreeBuilder()
    parse_xml(untrusted_xml, builder)
    return builder.close()


def element_text(element: Element) -> str:
    """All character data under ``element``, concatenated."""
    return "".join(element.itertext())
