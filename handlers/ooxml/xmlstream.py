"""Streaming rewrite of one hostile XML part: parse with expat, copy what filters keep.

Why not ElementTree: it renames namespace prefixes (``ns0:``) while ``mc:Ignorable`` names
prefixes literally, so Office would refuse the output; it also builds the whole tree. Here
the part is parsed once by expat, with the protections of ``handlers.extract.xmlsafe`` (no
DTD, no entities, bounded depth and element count), and the output is the input with edits
spliced in: what a filter does not touch is copied byte for byte, so prefixes, declarations
and character references stay exactly as written, and an unchanged part costs one parse.

A subclass sees each element in ``on_start`` (before its content) and ``on_end`` (after
it) and may:

* ``drop(node)``          remove the element and everything in it;
* ``unwrap(node)``        remove its tags, keeping its content (a hyperlink's text);
* ``erase_ancestor(...)`` remove the nearest enclosing element of given names (an OLE
                          object found inside ``w:object`` removes the whole object);
* ``node.erase = True``   (in ``on_end``) remove the element after all;
* ``node.replacement``    (in ``on_end``) replace the whole element by other XML;
* edit attributes through ``Node`` methods, ``remove(start, end)`` an earlier range, or
  ``prepend_child`` / ``append_child`` new XML.

The prolog and epilogue (XML declaration, comments, processing instructions) are not copied:
the output starts with a fixed UTF-8 declaration. Comments and processing instructions inside
the root element are removed as well: nothing in them is document content.
"""

from __future__ import annotations

import re
from typing import ClassVar
from xml.parsers import expat

from handlers.extract.limits import MAX_XML_DEPTH, MAX_XML_ELEMENTS
from handlers.extract.xmlsafe import XmlCorrupt, XmlTooComplex
from handlers.ooxml.xmlnode import DROP, UNWRAP, Attr, Decl, Node, split_name, start_tag
from handlers.ooxml.xmlparse import (
    XML_DECLARATION,
    as_utf8,
    checked_copy,
    hardened_parser,
    parse,
)

__all__ = ["XML_DECLARATION", "Attr", "Node", "XmlRewriter", "as_utf8", "checked_copy",
           "start_tag"]

#: The rest of a start tag from its "<": quoted values may hold ">" and "/>".
_TAG_END = re.compile(rb"""<[^"'>]*(?:(?:"[^"]*"|'[^']*')[^"'>]*)*>""")


class XmlRewriter:
    """Copies an XML part through expat; subclasses decide what is kept."""

    declaration: ClassVar[str] = XML_DECLARATION

    def __init__(self) -> None:
        self.stack: list[Node] = []
        self._data = b""
        self._parser: expat.XMLParserType | None = None
        self._edits: list[tuple[int, int, str, int]] = []
        self._skipping = 0
        self._dropped: Node | None = None
        self._elements = 0
        self._pending: list[Decl] = []
        self._names: dict[str, tuple[str, str, str]] = {}
        self._root: tuple[int, int] = (0, 0)

    # --- hooks -----------------------------------------------------------------------------
    def on_start(self, node: Node) -> None:
        """Called for each element before its content."""

    def on_end(self, node: Node) -> None:
        """Called after the element's content; ``node.end`` is known."""

    def on_data(self, text: str) -> None:
        """Character data of the innermost open element."""

    # --- actions ---------------------------------------------------------------------------
    def drop(self, node: Node) -> None:
        node.action = DROP

    def unwrap(self, node: Node) -> None:
        node.action = UNWRAP

    def erase_ancestor(self, locals_: frozenset[str]) -> bool:
        """Remove the nearest open element named in ``locals_``; False if there is none."""
        for node in reversed(self.stack):
            if node.local in locals_:
                node.erase = True
                return True
        return False

    def parent(self, depth: int = 1) -> Node | None:
        return self.stack[-depth] if len(self.stack) >= depth else None

    def remove(self, start: int, end: int) -> None:
        """Remove an input range (an element seen earlier)."""
        self.edit(start, end, "")

    def edit(self, start: int, end: int, xml: str) -> None:
        """Replace the input range ``[start, end)`` (empty: insert) by ``xml``."""
        self._edits.append((start, end, xml, len(self._edits)))

    def rewrite_start_tag(self, node: Node) -> None:
        """Write ``node``'s start tag again after its attributes changed once it had ended."""
        self.measure(node)
        self.edit(node.start, node.start_end, start_tag(node, empty=node.empty))

    def measure(self, node: Node) -> None:
        """Find where ``node``'s start tag ends (quoted values may hold ">" and "/>")."""
        if node.start_end < 0:
            tag = _TAG_END.match(self._data, node.start)
            if tag is None:
                raise XmlCorrupt("a start tag could not be delimited")
            node.start_end, node.empty = tag.end(), tag.group().endswith(b"/>")

    def prepend_child(self, node: Node, xml: str) -> None:
        """New XML as the first content of an element that is still open or just ended."""
        self.measure(node)
        if node.empty:
            node.replacement = start_tag(node) + xml + f"</{node.qname}>"
        else:
            self.edit(node.start_end, node.start_end, xml)

    def append_child(self, node: Node, xml: str) -> None:
        """New XML as the last content of an element, from ``on_end``."""
        self.measure(node)
        if node.empty:
            node.replacement = start_tag(node) + xml + f"</{node.qname}>"
        else:
            position = self._end_tag_start(node)
            self.edit(position, position, xml)

    def insert_before(self, node: Node, xml: str) -> None:
        self.edit(node.start, node.start, xml)

    # --- driver ----------------------------------------------------------------------------
    def rewrite(self, untrusted_xml: bytes) -> bytes:
        self._data = as_utf8(untrusted_xml)
        parser = self._parser = hardened_parser()
        parser.namespace_prefixes = True
        parser.ordered_attributes = True
        parser.buffer_text = True
        parser.StartNamespaceDeclHandler = self._declare
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.CommentHandler = self._comment
        parser.ProcessingInstructionHandler = self._instruction
        parser.StartCdataSectionHandler = self._cdata
        try:
            parse(parser, self._data)
        finally:
            self._parser = None
        return self._splice()

    def _splice(self) -> bytes:
        root_start, root_end = self._root
        if root_end <= root_start:
            raise XmlCorrupt("the part has no root element")
        data, out, cursor = self._data, [self.declaration.encode()], root_start
        for start, end, xml, _sequence in sorted(self._edits, key=_edit_order):
            if start < cursor:
                continue  # inside a range already removed or replaced
            out.append(data[cursor:start])
            if xml:
                out.append(xml.encode("utf-8"))
            cursor = end
        out.append(data[cursor:root_end])
        return b"".join(out)

    def _position(self) -> int:
        assert self._parser is not None
        return self._parser.CurrentByteIndex

    def _split(self, name: str) -> tuple[str, str, str]:
        # Names repeat thousands of times in a part: split each spelling once.
        found = self._names.get(name)
        if found is None:
            found = self._names[name] = split_name(name)
        return found

    def _declare(self, prefix: str | None, uri: str | None) -> None:
        self._pending.append((prefix, uri))

    def _start(self, name: str, raw_attrs: list[str]) -> None:
        self._elements += 1
        if len(self.stack) + self._skipping >= MAX_XML_DEPTH:
            raise XmlTooComplex(f"elements nest deeper than {MAX_XML_DEPTH}")
        if self._elements > MAX_XML_ELEMENTS:
            raise XmlTooComplex(f"more than {MAX_XML_ELEMENTS} elements")
        decls, self._pending = self._pending, []
        if self._skipping:
            self._skipping += 1
            self._inside_dropped()
            return
        start = self._position()
        split = self._split
        attrs = [(*split(raw_attrs[i]), raw_attrs[i + 1]) for i in range(0, len(raw_attrs), 2)]
        node = Node(*split(name), attrs, decls, start)
        if self.stack:
            parent = self.stack[-1]
            parent.content = True
            if parent.action == UNWRAP and parent.decls:
                self._inherit_declarations(parent, node)
        else:
            self._root = (start, start)
        self.on_start(node)
        if node.action == DROP:
            self._skipping, self._dropped = 1, node
            return
        self.stack.append(node)

    @staticmethod
    def _inherit_declarations(parent: Node, node: Node) -> None:
        # An unwrapped parent's namespace declarations move to its children, which may use
        # them; without this, removing a tag could leave a prefix undeclared.
        own = {prefix for prefix, _uri in node.decls}
        node.decls = [d for d in parent.decls if d[0] not in own] + node.decls
        node.changed = True

    def _end(self, _name: str) -> None:
        if self._skipping:
            self._skipping -= 1
            if not self._skipping and self._dropped is not None:
                node, self._dropped = self._dropped, None
                self._close(node)
                self.remove(node.start, node.end)
            return
        node = self.stack[-1]
        self._close(node)
        self.on_end(node)
        self.stack.pop()
        if not self.stack:
            self._root = (self._root[0], node.end)
        self._write(node)

    def _write(self, node: Node) -> None:
        if node.erase:
            self.remove(node.start, node.end)
        elif node.replacement is not None:
            self.edit(node.start, node.end, node.replacement)
        elif node.action == UNWRAP:
            self.measure(node)
            self.remove(node.start, node.start_end)
            if not node.empty:
                self.remove(self._end_tag_start(node), node.end)
        elif node.changed:
            self.rewrite_start_tag(node)

    def _close(self, node: Node) -> None:
        """Set ``node.end`` (and, for an element without content, its tag's end)."""
        position = self._position()
        if not node.content and self._data[position - 2:position] == b"/>":
            # ``<x/>``: expat reports its end just after the tag. A ``<x ...></x>`` start
            # tag cannot end in "/>", and text ending in "/>" would be content.
            node.start_end = node.end = position
            node.empty = True
            return
        if not node.content:
            node.start_end = position  # ``<x></x>``: the end tag follows the start tag
        node.end = self._data.index(b">", position) + 1

    def _end_tag_start(self, node: Node) -> int:
        self.measure(node)
        return self._data.rindex(b"</", node.start_end, node.end)

    def _inside_dropped(self) -> None:
        # Content of a dropped element still decides how its end is found (see _close).
        if self._dropped is not None:
            self._dropped.content = True

    def _text(self, text: str) -> None:
        if self._skipping:
            self._inside_dropped()
        elif self.stack:
            self.stack[-1].content = True
            self.on_data(text)

    def _cdata(self) -> None:
        if self._skipping:
            self._inside_dropped()
        elif self.stack:
            self.stack[-1].content = True

    def _comment(self, _text: str) -> None:
        if self._skipping:
            self._inside_dropped()
        elif self.stack:
            self.stack[-1].content = True
            start = self._position()
            self.remove(start, self._data.index(b"-->", start) + 3)

    def _instruction(self, _target: str, _data: str) -> None:
        if self._skipping:
            self._inside_dropped()
        elif self.stack:
            self.stack[-1].content = True
            start = self._position()
            self.remove(start, self._data.index(b"?>", start) + 2)


def _edit_order(edit: tuple[int, int, str, int]) -> tuple[int, bool, int, int]:
    """Splice order: by position; insertions before a range starting there; the outer of
    two ranges first (the inner one is then skipped); the later of two edits of one range
    first (it was made knowing the earlier)."""
    start, end, _xml, sequence = edit
    insertion = start == end
    return start, not insertion, -end, sequence if insertion else -sequence
