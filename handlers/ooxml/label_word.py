"""The visible label in Word: a locked content control at the top of every header and every
footer, on every page of every section (Chiba 6.2(2): the classification in the header or
footer).

Existing headers and footers get the marking as their first paragraph. A section (or page
kind: first page, even pages) that shows no header or footer, not even one inherited from
the section before it, is given a reference to a header/footer part holding only the label.
The content control is tagged ``sekisho-classification``: relabelling replaces it.
"""

from __future__ import annotations

import posixpath
from xml.sax.saxutils import escape, quoteattr

from core.errors import SekishoError
from handlers.extract.xmlsafe import parse_tree
from handlers.ooxml import policy
from handlers.ooxml.filters import is_off
from handlers.ooxml.package import Relationship, resolve_target
from handlers.ooxml.writer import PackageModel
from handlers.ooxml.xmlstream import XML_DECLARATION, Node, XmlRewriter

TAG = "sekisho-classification"
_HEADER_TYPE = policy.WML + "header+xml"
_FOOTER_TYPE = policy.WML + "footer+xml"
_KINDS = {"header": (_HEADER_TYPE, policy.HEADER_URI, "hdr"),
          "footer": (_FOOTER_TYPE, policy.FOOTER_URI, "ftr")}
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def marking(namespace: str, visible: str) -> str:
    """The content control holding the label, declaring its own prefix."""
    text = escape(visible)
    return (f"<w:sdt xmlns:w={quoteattr(namespace)}><w:sdtPr>"
            '<w:alias w:val="Sekisho classification"/>'
            f'<w:tag w:val="{TAG}"/><w:lock w:val="sdtContentLocked"/></w:sdtPr>'
            '<w:sdtContent><w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:b/>'
            f'</w:rPr><w:t xml:space="preserve">{text}</w:t></w:r></w:p></w:sdtContent>'
            "</w:sdt>")


class _HeaderStamp(XmlRewriter):
    """A header or footer part: our old marking out, the new one in as the first child."""

    def __init__(self, visible: str) -> None:
        super().__init__()
        self._visible = visible

    def on_start(self, node: Node) -> None:
        if not self.stack:
            self.prepend_child(node, marking(node.ns, self._visible))
        elif (node.local == "tag" and node.ns in policy.W_NAMESPACES
                and node.get("val", policy.W_NAMESPACES) == TAG):
            self.erase_ancestor(frozenset({"sdt"}))


class _SectionStamp(XmlRewriter):
    """The main document: adds header/footer references where a page would show none."""

    def __init__(self, even_pages: bool, ids: dict[str, str]) -> None:
        super().__init__()
        self._even_pages = even_pages
        self._ids = ids
        self.used: set[str] = set()
        self._shown_before: dict[str, set[str]] = {"header": set(), "footer": set()}
        self._section: dict[str, set[str]] = {}
        self._title_page = False
        self._current: Node | None = None

    def on_start(self, node: Node) -> None:
        if node.ns not in policy.W_NAMESPACES:
            return
        if self._is_section(node):
            self._section = {"header": set(), "footer": set()}
            self._title_page = False
            self._current = node
        elif node.local in {"headerReference", "footerReference"} and self._in_section():
            kind = node.local.removesuffix("Reference")
            self._section[kind].add(node.get("type", policy.W_NAMESPACES) or "default")
        elif node.local == "titlePg" and self._in_section():
            self._title_page = not is_off(node.get("val", policy.W_NAMESPACES))

    def _in_section(self) -> bool:
        return self._current is not None and self.parent() is self._current

    def _is_section(self, node: Node) -> bool:
        parent = self.parent()
        return node.local == "sectPr" and (parent is None or parent.local != "sectPrChange")

    def on_end(self, node: Node) -> None:
        if node is not self._current:
            return
        needed = {"default"} | ({"first"} if self._title_page else set()) | (
            {"even"} if self._even_pages else set())
        references = []
        for kind in ("header", "footer"):
            shown = self._section[kind] | self._shown_before[kind]
            for page in sorted(needed - shown):
                references.append(_reference(node.ns, kind, page, self._ids[kind]))
                self.used.add(kind)
            self._shown_before[kind] |= shown | needed
        if references:
            self.prepend_child(node, "".join(references))
        self._current = None


def _reference(namespace: str, kind: str, page: str, rel_id: str) -> str:
    return (f"<w:{kind}Reference xmlns:w={quoteattr(namespace)} xmlns:r=\"{_R}\" "
            f'w:type="{page}" r:id={quoteattr(rel_id)}/>')


def stamp_word(model: PackageModel, visible: str) -> None:
    main = model.main
    own = {kind: _own_part(model, kind) for kind in _KINDS}
    ids = {kind: rel_id for kind, (rel_id, _name, _exists) in own.items()}
    sections = _SectionStamp(_even_pages(model), ids)
    model.parts[main] = sections.rewrite(model.parts[main])
    for kind in sorted(sections.used):
        rel_id, name, exists = own[kind]
        if exists:
            continue
        content_type, rel_type, root = _KINDS[kind]
        body = f'{XML_DECLARATION}<w:{root} xmlns:w="{_W}"/>'.encode()
        model.add(name, body, content_type)
        target = posixpath.relpath(name, posixpath.dirname(main) or ".")
        model.rels.setdefault(main, []).append(Relationship(rel_id, rel_type, target, False))
    for name in model.parts_of_type(_HEADER_TYPE, _FOOTER_TYPE):
        model.parts[name] = _HeaderStamp(visible).rewrite(model.parts[name])


def _own_part(model: PackageModel, kind: str) -> tuple[str, str, bool]:
    """(relationship id, part name, already there) of the part holding only our label."""
    main = model.main
    folder = posixpath.dirname(main)
    name = posixpath.join(folder, f"sekisho-{kind}.xml")
    for rel in model.rels.get(main, []):
        if not rel.external and resolve_target(main, rel.target) == name:
            return rel.id, name, True
    return model.fresh_id(main, f"rIdSekisho{kind.title()}"), name, False


def _even_pages(model: PackageModel) -> bool:
    """Whether the document uses separate even-page headers (settings evenAndOddHeaders)."""
    for name in model.parts_of_type(policy.WML + "settings+xml"):
        try:
            tree = parse_tree(model.parts[name])
        except SekishoError:
            return True  # unreadable settings: stamp even pages too, never fewer
        for element in tree.iter("evenAndOddHeaders"):
            value = next((v for k, v in element.attrib.items() if k.endswith("val")), None)
            return not is_off(value)
    return False
