"""What every kept XML part goes through: references to dropped parts, DrawingML actions,
macro assignments and revision-session ids.

When the rebuild drops a relationship (an OLE object, an ActiveX control, an external
picture), the XML that referred to it must go too, or Office reports the file as damaged and
"repairs" it. Most referring elements exist only for the reference and are removed whole; a
few keep their element and lose the attribute (a picture fill that merely loses its external
link); some take an enclosing element with them (``w:object`` around an OLE object,
``p:graphicFrame`` around ``p:oleObj``, an extension ``ext`` around an extension element).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from core.errors import CorruptFile
from handlers.base import CleanOptions
from handlers.ooxml import policy
from handlers.ooxml.xmlstream import Attr, Node, XmlRewriter, as_utf8, checked_copy

#: Elements that keep themselves when their reference goes; only the attribute is removed.
ATTRIBUTE_ONLY = frozenset({"blip", "imagedata", "fill", "stroke", "textpath", "pageSetup",
                            "imageData"})
#: Elements whose dangling reference removes the nearest enclosing element of these names.
ERASE_ENCLOSING: Mapping[str, frozenset[str]] = {
    "OLEObject": frozenset({"object", "pict"}),
    "control": frozenset({"object", "pict", "controls"}),
    "oleObject": frozenset({"oleObjects"}),
    "oleObj": frozenset({"graphicFrame"}),
    "snd": frozenset({"sndAc"}),
    "sndTgt": frozenset({"par"}),
    "regular": frozenset({"embeddedFont"}),
    "bold": frozenset({"embeddedFont"}),
    "italic": frozenset({"embeddedFont"}),
    "boldItalic": frozenset({"embeddedFont"}),
}
#: Elements whose dangling reference unwraps them: the linked text stays as plain text.
UNWRAP = frozenset({"hyperlink"})
_EXTENSION = frozenset({"ext"})
#: PowerPoint click/hover actions that only move within the show or follow a checked link;
#: ``ppaction://program``, ``macro`` and ``ole`` run code and are removed.
SAFE_ACTIONS = ("ppaction://hlinksldjump", "ppaction://hlinkshowjump", "ppaction://noaction",
                "ppaction://customshow", "ppaction://hlinkpres", "ppaction://hlinkfile",
                "ppaction://media")
_ACTION_ELEMENTS = frozenset({"hlinkClick", "hlinkHover", "hlinkMouseOver"})
#: Byte patterns one of the generic rules may act on: comments, processing instructions,
#: action and macro attributes. Attributes in the relationships namespace are found by
#: their declared prefix (_R_PREFIX).
_ACTION_OR_MACRO = re.compile(rb"(?:action|macro)\s*=")
_R_PREFIX = re.compile(
    rb"xmlns:([^\s=]+)\s*=\s*[\"'](?:http://schemas\.openxmlformats\.org/officeDocument/2006/"
    rb"relationships|http://purl\.oclc\.org/ooxml/officeDocument/relationships)[\"']")


@dataclass
class Tally:
    """Counts of one rebuild: removal sites by kind, and reported-but-kept notices."""

    hazards: Counter[str] = field(default_factory=Counter)
    notices: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class PartContext:
    """What a filter needs to know about the part it rewrites."""

    options: CleanOptions
    tally: Tally
    #: Relationship ids of this part that the rebuild keeps.
    kept_ids: frozenset[str] = frozenset()
    #: Relationship ids the rebuild dropped, with the kind the drop was counted under.
    dropped_ids: Mapping[str, str] = field(default_factory=dict)


class PartFilter(XmlRewriter):
    """The rules for every XML part; family filters add their own on top."""

    def __init__(self, context: PartContext) -> None:
        super().__init__()
        self.context = context

    def count(self, kind: str, n: int = 1) -> None:
        self.context.tally.hazards[kind] += n

    def notice(self, kind: str, n: int = 1) -> None:
        self.context.tally.notices[kind] += n

    @classmethod
    def needs_walk(cls, data: bytes) -> bool:
        """Whether any rule of this filter can apply to the part (else it is copied after a
        full parse). A rule added to ``on_start`` needs its trigger here: the differential
        test in tests/handlers/ooxml compares both paths on every fixture part."""
        if b"<!--" in data or data.find(b"<?", 1) >= 0:
            return True  # comments and processing instructions (the declaration is at 0)
        if (b"action" in data or b"macro" in data) and _ACTION_OR_MACRO.search(data):
            return True
        return any(_uses_prefix(data, prefix) for prefix in set(_R_PREFIX.findall(data)))

    def on_start(self, node: Node) -> None:
        if node.local in _ACTION_ELEMENTS and _unsafe_action(node.get("action")):
            self.count("slide_action")
            self.drop(node)
            return
        macro = node.get("macro")
        if macro:
            # A shape "assigned to a macro" (Excel drawings) runs it on click.
            node.remove_attrs("macro")
            self.count("macro_reference")
        self._references(node)

    def revision_session_ids(self, node: Node) -> None:
        """rsid: ids of editing sessions that link documents edited together. Removed where
        Word writes most of them (stories, settings); cheap there, as those parts are walked
        anyway."""
        if node.local in {"rsids", "rsid"}:
            self.count(policy.RSID)
            self.drop(node)
        elif node.remove_where(_is_rsid):
            self.count(policy.RSID)

    def _references(self, node: Node) -> None:
        kept = self.context.kept_ids
        dangling = [a[3] for a in node.attrs
                    if a[0] in policy.R_NAMESPACES and a[3] and a[3] not in kept]
        if not dangling:
            return
        for value in dangling:
            if value not in self.context.dropped_ids:
                self.count(policy.DANGLING_REFERENCE)
        if node.local in ATTRIBUTE_ONLY or node.local in UNWRAP:
            node.remove_where(lambda a: a[0] in policy.R_NAMESPACES and a[3] in dangling)
            if node.local in UNWRAP:
                self.unwrap(node)
        else:
            self.remove_with_container(node, ERASE_ENCLOSING.get(node.local, frozenset()))

    def remove_with_container(self, node: Node, containers: frozenset[str]) -> None:
        """Remove ``node``; inside an extension element or a named container, that too."""
        parent = self.parent()
        if parent is not None and parent.local in _EXTENSION:
            parent.erase = True
        elif containers:
            self.erase_ancestor(containers)
        self.drop(node)

    def on_end(self, node: Node) -> None:
        if not self.stack[:-1] and node.erase:
            raise CorruptFile("a part's root element would be removed")


def _uses_prefix(data: bytes, prefix: bytes) -> bool:
    """Whether an attribute with ``prefix`` occurs (the pattern starts with the literal
    prefix, which lets the regex engine skip ahead; the byte before must be whitespace)."""
    for match in re.finditer(re.escape(prefix) + rb":[^\s=/>]+\s*=", data):
        if match.start() > 0 and data[match.start() - 1:match.start()].isspace():
            return True
    return False


def _is_rsid(attr: Attr) -> bool:
    return attr[1].startswith("rsid") and attr[0] in policy.W_NAMESPACES


def _unsafe_action(action: str | None) -> bool:
    return bool(action) and not (action or "").strip().lower().startswith(SAFE_ACTIONS)


def is_off(value: str | None) -> bool:
    """OOXML's false spellings of an on/off attribute (absent means on for toggles)."""
    return value is not None and value.strip().lower() in {"0", "false", "off"}


def clean_part(filter_class: type[PartFilter], context: PartContext, untrusted_xml: bytes) -> bytes:
    """A kept XML part through its filter, or checked and copied when no rule can apply."""
    data = as_utf8(untrusted_xml)
    if filter_class.needs_walk(data):
        return filter_class(context).rewrite(data)
    return checked_copy(data)
