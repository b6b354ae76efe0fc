"""ODF XML parts as namespace-preserving element trees, parsed safely and written back.

Parsing goes through ``handlers.extract.xmlsafe`` first: it refuses DTDs and entity
declarations (billion laughs, XXE) and bounds depth and element count. Only a part that
passed is built into a tree, by the standard library's expat without any DTD left to
expand. The extractor's parser hands out local names, which is right for reading text but
not for rewriting a document, hence this second, qualified parse.

Serialisation keeps the source's prefixes for every kept namespace: ODF stores qualified
names inside attribute values (``table:formula="of:=SUM(...)"``,
``text:condition="ooow:..."``), which only resolve if the prefix is still declared. XML
comments and processing instructions are not carried over (they are hidden data).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError, TreeBuilder, XMLParser

from handlers.extract.xmlsafe import XmlCorrupt, parse_xml
from handlers.odf.names import ALLOWED, PREFIXES, XML, split

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                               "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


class _Validator:
    """A parse target that keeps nothing: xmlsafe's checks are the point of the pass."""

    def start(self, tag: str, attrs: dict[str, str], /) -> None:
        return None

    def end(self, tag: str, /) -> None:
        return None

    def data(self, data: str, /) -> None:
        return None


class _Builder(TreeBuilder):
    """TreeBuilder that also records the prefixes the source declared."""

    def __init__(self) -> None:
        super().__init__()
        self.prefixes: dict[str, str] = {}

    def start_ns(self, prefix: str, uri: str) -> None:
        if prefix and uri in ALLOWED and uri != XML and uri not in self.prefixes and (
            prefix not in self.prefixes.values()
        ):
            self.prefixes[uri] = prefix


@dataclass
class Part:
    """One XML part: its tree and the prefixes to write it back with."""

    root: Element
    prefixes: dict[str, str] = field(default_factory=dict)


def parse_part(untrusted_xml: bytes) -> Part:
    """A validated XML part as a qualified-name tree (XmlCorrupt/XmlForbidden/XmlTooComplex)."""
    parse_xml(untrusted_xml, _Validator())
    builder = _Builder()
    # S314: the bytes already passed xmlsafe (no DTD, so no entity can expand; bounded
    # depth and size); this pass only builds the tree with qualified names.
    parser = XMLParser(target=builder)  # noqa: S314
    try:
        parser.feed(untrusted_xml)
        root = parser.close()
    except ParseError as exc:
        raise XmlCorrupt("XML is not well-formed") from exc
    return Part(root, builder.prefixes)


def serialise(part: Part) -> bytes:
    names = _namespace_map(part)
    declarations = "".join(f' xmlns:{prefix}="{uri}"' for uri, prefix in names.items())
    out = io.StringIO()
    out.write(_DECLARATION)
    _write(part.root, names, out, declarations)
    return out.getvalue().encode("utf-8")


def _namespace_map(part: Part) -> dict[str, str]:
    names = dict(part.prefixes)
    used = {split(element.tag)[0] for element in part.root.iter()}
    used |= {split(key)[0] for element in part.root.iter() for key in element.attrib}
    for uri in sorted(used - {"", XML} - set(names)):
        prefix = PREFIXES.get(uri, "ns")
        while prefix in names.values():
            prefix += "x"
        names[uri] = prefix
    return names


def _qualified(name: str, names: dict[str, str]) -> str:
    namespace, local = split(name)
    if not namespace:
        return local
    return f"xml:{local}" if namespace == XML else f"{names[namespace]}:{local}"


def _write(element: Element, names: dict[str, str], out: io.StringIO,
           declarations: str = "") -> None:
    tag = _qualified(element.tag, names)
    out.write(f"<{tag}{declarations}")
    for key, value in element.attrib.items():
        out.write(f' {_qualified(key, names)}="{value.translate(_ATTR_ESCAPES)}"')
    if len(element) or element.text:
        out.write(">")
        if element.text:
            out.write(element.text.translate(_TEXT_ESCAPES))
        for child in element:
            _write(child, names, out)
            if child.tail:
                out.write(child.tail.translate(_TEXT_ESCAPES))
        out.write(f"</{tag}>")
    else:
        out.write("/>")


# --- tree edits ----------------------------------------------------------------------------
def remove(parent: Element, child: Element) -> None:
    """Remove ``child`` and its content; the text after it stays where it was."""
    index = list(parent).index(child)
    if child.tail:
        if index == 0:
            parent.text = (parent.text or "") + child.tail
        else:
            parent[index - 1].tail = (parent[index - 1].tail or "") + child.tail
    parent.remove(child)
