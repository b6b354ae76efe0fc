"""WordprocessingML stories (body, headers, footers, notes, glossary) and settings.

Removed: DDE/DDEAUTO and other non-allow-listed fields, both ``w:fldSimple`` and complex
fields whose instruction is spread over ``w:instrText`` runs (an instruction split as
"DD" + "EAUTO" is judged whole); comment anchors; custom XML and smart-tag wrappers (their
text stays); data bindings to custom XML; editing permissions naming users; the author and
date of each revision mark (Saitama 第3 4(3) 属性情報). In settings: attached template, mail
merge (connection strings, SQL), document variables.

Reported, not removed (the profile decides, see CleanOptions): tracked changes and hidden
text (``w:vanish``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from handlers.ooxml import policy
from handlers.ooxml.filters import PartContext, PartFilter, is_off
from handlers.ooxml.instructions import field_kind
from handlers.ooxml.limits import MAX_FIELD_DEPTH, FieldsTooDeep
from handlers.ooxml.xmlstream import Node

#: Revision marks: reported as tracked changes, their author and date removed.
TRACKED_CHANGES = frozenset({
    "ins", "del", "moveFrom", "moveTo", "rPrChange", "pPrChange", "sectPrChange",
    "tblPrChange", "tblPrExChange", "trPrChange", "tcPrChange", "tblGridChange",
    "numberingChange", "cellIns", "cellDel", "cellMerge",
})
_REVISION_RANGES = frozenset({"moveFromRangeStart", "moveToRangeStart"})
_UNWRAP, _DROP = True, False
#: Story elements removed: local name -> (kind reported or None, unwrap (keep the text)?).
#: Custom XML and smart-tag wrappers keep their text; their properties, data bindings to
#: custom XML parts, editing permissions (they name users) and opaque field data go.
_REMOVED: dict[str, tuple[str | None, bool]] = {
    **dict.fromkeys(("commentRangeStart", "commentRangeEnd", "commentReference",
                     "annotationRef"), (policy.COMMENT_ANCHORS, _DROP)),
    "customXml": (policy.CUSTOM_XML, _UNWRAP), "smartTag": ("smart_tags", _UNWRAP),
    "customXmlPr": (None, _DROP), "smartTagPr": (None, _DROP),
    "dataBinding": (policy.CUSTOM_XML, _DROP),
    **dict.fromkeys((f"customXml{kind}Range{edge}" for kind in ("Ins", "Del", "MoveFrom",
                                                                 "MoveTo")
                     for edge in ("Start", "End")), (None, _DROP)),
    "permStart": ("editing_permissions", _DROP), "permEnd": ("editing_permissions", _DROP),
    "fldData": ("field_data", _DROP),
}
_INSTRUCTIONS = frozenset({"instrText", "delInstrText"})


@dataclass
class _Field:
    """One complex field while its instruction is being read."""

    #: Input ranges that hold its ``begin`` mark and its instruction runs.
    ranges: list[tuple[int, int]] = field(default_factory=list)
    instruction: list[str] = field(default_factory=list)
    separated: bool = False
    #: The field's name is computed by a nested field: it cannot be judged, so it goes.
    computed_name: bool = False
    kind: str | None = None


class WordStoryFilter(PartFilter):
    """A story part: document body, header, footer, footnotes, endnotes, glossary."""

    def __init__(self, context: PartContext) -> None:
        super().__init__(context)
        self._fields: list[_Field] = []

    @classmethod
    def needs_walk(cls, data: bytes) -> bool:
        return True  # stories hold the fields, revisions and comment anchors

    def on_start(self, node: Node) -> None:
        super().on_start(node)
        if not node.kept or node.ns not in policy.W_NAMESPACES:
            return
        self.revision_session_ids(node)
        if not node.kept:
            return
        local = node.local
        if local in TRACKED_CHANGES or local in _REVISION_RANGES:
            self._anonymise_revision(node, counted=local in TRACKED_CHANGES)
        elif local == "vanish" and self._in_run_properties() and not is_off(node.get("val")):
            self.notice("hidden_text")
        elif local in _REMOVED:
            kind, unwrap = _REMOVED[local]
            if kind is not None:
                self.count(kind)
            (self.unwrap if unwrap else self.drop)(node)
        elif local == "fldSimple":
            self._simple_field(node)
        elif local == "fldChar":
            self._field_char(node)

    def _in_run_properties(self) -> bool:
        parent = self.parent()
        return parent is not None and parent.local == "rPr"

    def _anonymise_revision(self, node: Node, *, counted: bool) -> None:
        if counted:
            self.notice("tracked_changes")
        author = node.get("author", policy.W_NAMESPACES)
        removed = node.remove_attrs("date", policy.W_NAMESPACES)
        if author:
            node.set_attr("author", "", policy.W_NAMESPACES)  # required; empty is valid
        if author or removed:
            self.count(policy.REVISION_AUTHORS)

    def _simple_field(self, node: Node) -> None:
        kind = field_kind(node.get("instr", policy.W_NAMESPACES) or "",
                          self.context.options.remove_links)
        if kind is not None:
            self.count(kind)
            self.unwrap(node)  # the displayed result stays as text

    def _field_char(self, node: Node) -> None:
        char_type = node.get("fldCharType", policy.W_NAMESPACES)
        if char_type == "begin":
            self._begin_field()
        elif char_type == "separate" and self._fields and not self._fields[-1].separated:
            current = self._fields[-1]
            current.separated = True
            if self._judge(current):
                self.drop(node)
        elif char_type == "end" and self._fields:
            current = self._fields.pop()
            if current.kind is not None or (not current.separated and self._judge(current)):
                self.drop(node)

    def _begin_field(self) -> None:
        if len(self._fields) >= MAX_FIELD_DEPTH:
            raise FieldsTooDeep(f"fields nest deeper than {MAX_FIELD_DEPTH}")
        enclosing = self._open_instruction()
        if enclosing is not None and not "".join(enclosing.instruction).strip():
            enclosing.computed_name = True
        self._fields.append(_Field())

    def _open_instruction(self) -> _Field | None:
        """The field whose instruction is being read, if any."""
        return self._fields[-1] if self._fields and not self._fields[-1].separated else None

    def _judge(self, current: _Field) -> bool:
        """Decide a field once its instruction is complete; blank it if it goes."""
        kind = field_kind("".join(current.instruction), self.context.options.remove_links)
        if current.computed_name:
            kind = policy.FIELD_OTHER
        if kind is None:
            return False
        current.kind = kind
        self.count(kind)
        for start, end in current.ranges:
            self.remove(start, end)
        return True

    def on_data(self, text: str) -> None:
        node = self.parent()
        current = self._open_instruction()
        if node is not None and node.local in _INSTRUCTIONS and current is not None:
            current.instruction.append(text)

    def on_end(self, node: Node) -> None:
        super().on_end(node)
        current = self._open_instruction()
        if current is not None and node.ns in policy.W_NAMESPACES and (
                node.local in _INSTRUCTIONS or (node.local == "fldChar" and not current.ranges)):
            current.ranges.append((node.start, node.end))
        if len(self.stack) == 1:
            # Fields still open at the end of the story: judge what was read.
            for current in self._fields:
                if not current.separated:
                    self._judge(current)
            self._fields.clear()


class WordSettingsFilter(PartFilter):
    """word/settings.xml: links to templates and data sources, hidden variables."""

    _DROPPED: ClassVar[dict[str, str | None]] = {
        "attachedTemplate": None, "mailMerge": "mail_merge", "docVars": "document_variables"}

    @classmethod
    def needs_walk(cls, data: bytes) -> bool:
        return True

    def on_start(self, node: Node) -> None:
        super().on_start(node)
        if node.kept and node.ns in policy.W_NAMESPACES:
            self.revision_session_ids(node)
        if node.kept and node.ns in policy.W_NAMESPACES and node.local in self._DROPPED:
            kind = self._DROPPED[node.local]
            if kind is not None:
                self.count(kind)
            self.drop(node)
