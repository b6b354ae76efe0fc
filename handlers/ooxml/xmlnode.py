"""One open element of an XML part being rewritten, and how a start tag is written back."""

from __future__ import annotations

from collections.abc import Callable

#: Separates namespace URI, local name and prefix in expat's names: a character that cannot
#: occur in a well-formed XML 1.0 document, so no URI can forge a split.
SEPARATOR = "\x01"
KEEP, DROP, UNWRAP = range(3)
#: Escapes for attribute values; whitespace as character references so a value reads back
#: unchanged (attribute-value normalisation would turn a raw newline into a space).
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                               "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})

#: (namespace, local name, qualified name as written, value)
Attr = tuple[str, str, str, str]
Decl = tuple[str | None, str | None]


class Node:
    """One open element. Attribute edits go through the methods so the tag is rewritten."""

    __slots__ = ("action", "attrs", "changed", "content", "decls", "empty", "end", "erase",
                 "local", "ns", "qname", "replacement", "start", "start_end")

    def __init__(self, ns: str, local: str, qname: str, attrs: list[Attr],
                 decls: list[Decl], start: int) -> None:
        self.ns, self.local, self.qname = ns, local, qname
        self.attrs, self.decls = attrs, decls
        #: Input offsets: "<" of the start tag, just after the start tag (-1: not yet
        #: measured, see ``XmlRewriter.measure``), just after the element (once it ended).
        self.start, self.start_end, self.end = start, -1, -1
        #: Written as ``<x/>`` (known once measured or ended).
        self.empty = False
        #: Whether anything (element, text, comment) came inside it.
        self.content = False
        self.action = KEEP
        self.changed = False
        self.erase = False
        #: Set by a filter in ``on_end``: the element's XML is replaced by this.
        self.replacement: str | None = None

    @property
    def kept(self) -> bool:
        """Whether the element is written (not dropped, not unwrapped) so far."""
        return self.action == KEEP

    def get(self, local: str, namespaces: frozenset[str] | None = None) -> str | None:
        """The value of an attribute by local name (and namespace, if given)."""
        for ns, name, _qname, value in self.attrs:
            if name == local and (namespaces is None or ns in namespaces):
                return value
        return None

    def remove_attrs(self, local: str, namespaces: frozenset[str] | None = None) -> int:
        before = len(self.attrs)
        self.attrs = [a for a in self.attrs
                      if not (a[1] == local and (namespaces is None or a[0] in namespaces))]
        self.changed = self.changed or len(self.attrs) != before
        return before - len(self.attrs)

    def remove_where(self, unwanted: Callable[[Attr], bool]) -> int:
        """Remove the attributes ``unwanted`` selects; returns how many went."""
        before = len(self.attrs)
        self.attrs = [a for a in self.attrs if not unwanted(a)]
        self.changed = self.changed or len(self.attrs) != before
        return before - len(self.attrs)

    def set_attr(self, local: str, value: str, namespaces: frozenset[str] | None = None) -> None:
        self.attrs = [(a[0], a[1], a[2], value)
                      if a[1] == local and (namespaces is None or a[0] in namespaces) else a
                      for a in self.attrs]
        self.changed = True


def split_name(name: str) -> tuple[str, str, str]:
    """expat's ``uri␁local[␁prefix]`` -> (namespace, local name, qualified name)."""
    parts = name.split(SEPARATOR)
    if len(parts) == 1:
        return "", name, name
    if len(parts) == 2:
        return parts[0], parts[1], parts[1]
    return parts[0], parts[1], f"{parts[2]}:{parts[1]}"


def attribute_value(value: str) -> str:
    return '"' + value.translate(_ATTR_ESCAPES) + '"'


def start_tag(node: Node, *, empty: bool = False) -> str:
    """The element's start tag as it is now (``empty``: written as ``<x/>``)."""
    pieces = [node.qname]
    for prefix, uri in node.decls:
        pieces.append(("xmlns:" + prefix if prefix else "xmlns") + "=" + attribute_value(uri or ""))
    for _ns, _local, qname, value in node.attrs:
        pieces.append(qname + "=" + attribute_value(value))
    return "<" + " ".join(pieces) + ("/>" if empty else ">")
