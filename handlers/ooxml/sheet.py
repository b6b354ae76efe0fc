"""SpreadsheetML: the workbook part and its worksheets and chartsheets.

Removed: DDE and other formulas that reach outside or run code (the cell keeps its cached
value); the same in conditional formats, data validations and defined names; Auto_Open-style
names that start macros; the OLE object, ActiveX control and custom property lists of a
sheet; web publishing targets; sheets whose part was dropped (Excel 4.0 macro sheets, dialog
sheets) with the names and views that point at them; the user name in file sharing and the
folder path (``x15ac:absPath``) Excel records of where the file was saved.

Reported, not removed: hidden and very hidden sheets, hidden rows and columns.
"""

from __future__ import annotations

import re

from handlers.ooxml import policy
from handlers.ooxml.filters import PartContext, PartFilter, is_off
from handlers.ooxml.instructions import formula_kind
from handlers.ooxml.xmlstream import Node

_SHEET_DROPPED = {"oleObjects": None, "controls": None, "customProperties": None,
                  "webPublishItems": policy.EXTERNAL_DATA}
_RULE_CONTAINERS = frozenset({"conditionalFormatting", "dataValidation"})
_RULE_FORMULAS = frozenset({"formula", "formula1", "formula2"})
#: Defined names Excel runs as macros when the workbook opens or closes.
AUTO_NAMES = frozenset({"auto_open", "auto_close", "auto_activate", "auto_deactivate"})
_HIDDEN_STATES = frozenset({"hidden", "veryHidden"})


class _FormulaText:
    """Collects the text of the innermost formula-bearing element."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def take(self) -> str:
        text, self.parts = "".join(self.parts), []
        return text


_SHEET_TRIGGERS = re.compile(
    rb"<(?:[\w.\-]+:)?(?:f|formula[12]?|oleObjects|controls|customProperties"
    rb"|webPublishItems)[\s/>]|\shidden\s*=")


class SheetFilter(PartFilter):
    """A worksheet or chartsheet part."""

    @classmethod
    def needs_walk(cls, data: bytes) -> bool:
        return bool(_SHEET_TRIGGERS.search(data)) or super().needs_walk(data)

    def __init__(self, context: PartContext) -> None:
        super().__init__(context)
        self._formula = _FormulaText()
        self._dropped_shared: set[str] = set()

    def on_start(self, node: Node) -> None:
        super().on_start(node)
        if not node.kept or node.ns not in policy.S_NAMESPACES:
            return
        local = node.local
        if local in _SHEET_DROPPED:
            kind = _SHEET_DROPPED[local]
            if kind is not None:
                self.count(kind)
            self.drop(node)
        elif local in {"row", "col"} and _on(node.get("hidden")):
            self.notice("hidden_rows_or_columns")
        elif local == "f" and node.get("t") == "shared" and node.get("si") in self._dropped_shared:
            self.drop(node)  # a cell sharing a removed master formula
        if local == "f" or local in _RULE_FORMULAS:
            self._formula.take()

    def on_data(self, text: str) -> None:
        node = self.parent()
        if node is not None and (node.local == "f" or node.local in _RULE_FORMULAS):
            self._formula.parts.append(text)

    def on_end(self, node: Node) -> None:
        super().on_end(node)
        if node.ns not in policy.S_NAMESPACES or not (node.local == "f"
                                                       or node.local in _RULE_FORMULAS):
            return
        kind = formula_kind(self._formula.take(), self.context.options.remove_links)
        if kind is None:
            return
        self.count(kind)
        if node.local == "f":
            node.erase = True
            if node.get("t") == "shared" and node.get("si") is not None:
                self._dropped_shared.add(node.get("si") or "")
        elif not self.erase_ancestor(_RULE_CONTAINERS):
            node.erase = True


class WorkbookFilter(PartFilter):
    """xl/workbook.xml: sheets, defined names, views, sharing and save-path records."""

    @classmethod
    def needs_walk(cls, data: bytes) -> bool:
        return True

    def __init__(self, context: PartContext) -> None:
        super().__init__(context)
        self._sheet_index = 0
        self._removed_sheets: list[int] = []
        self._removed_names: list[str] = []
        self._views: list[Node] = []
        self._name_text: list[str] = []

    def on_start(self, node: Node) -> None:
        if node.local == "absPath":
            # Where the file was last saved, e.g. C:\Users\<name>\...: personal data.
            self.count("file_path")
            self.remove_with_container(node, frozenset({"AlternateContent"}))
            return
        super().on_start(node)
        if node.ns not in policy.S_NAMESPACES:
            return
        if node.local == "sheet":
            self._sheet(node)
        elif node.kept and node.local == "definedName":
            self._name_text = []
            self._renumber(node)
        elif node.kept and node.local == "workbookView":
            self._views.append(node)
        elif node.kept and node.local == "externalReferences":
            self.drop(node)
        elif node.kept and node.local == "webPublishObjects":
            self.count(policy.EXTERNAL_DATA)
            self.drop(node)
        elif node.kept and node.local == "fileSharing" and node.remove_attrs("userName"):
            self.count("author_name")

    def _sheet(self, node: Node) -> None:
        index = self._sheet_index
        self._sheet_index += 1
        if not node.kept:  # its part was dropped (macro sheet, dialog sheet)
            self._removed_sheets.append(index)
            self._removed_names.append(node.get("name") or "")
        elif node.get("state") in _HIDDEN_STATES:
            self.notice("hidden_sheets")

    def _renumber(self, node: Node) -> None:
        local_id = node.get("localSheetId")
        if local_id is None or not self._removed_sheets or not local_id.isdigit():
            return
        old = int(local_id)
        if old in self._removed_sheets:
            node.erase = True
            return
        new = old - sum(1 for removed in self._removed_sheets if removed < old)
        node.set_attr("localSheetId", str(new))

    def on_data(self, text: str) -> None:
        node = self.parent()
        if node is not None and node.local == "definedName":
            self._name_text.append(text)

    def on_end(self, node: Node) -> None:
        super().on_end(node)
        if node.local == "definedName" and node.ns in policy.S_NAMESPACES:
            self._judge_name(node, "".join(self._name_text))
        elif len(self.stack) == 1 and self._removed_sheets:
            self._reset_views()

    def _judge_name(self, node: Node, formula: str) -> None:
        name = (node.get("name") or "").lower().removeprefix("_xlnm.")
        kind = formula_kind(formula, self.context.options.remove_links)
        if name in AUTO_NAMES:
            kind = "macro_reference"
        if kind is not None:
            self.count(kind)
            node.erase = True
        elif any(_refers_to(formula, removed) for removed in self._removed_names if removed):
            node.erase = True

    def _reset_views(self) -> None:
        # Views come before the sheet list: their tab indexes are fixed up at the end.
        for view in self._views:
            if view.remove_attrs("activeTab") + view.remove_attrs("firstSheet"):
                self.rewrite_start_tag(view)


def _on(value: str | None) -> bool:
    return value is not None and not is_off(value)


def _refers_to(formula: str, sheet_name: str) -> bool:
    quoted = "'" + sheet_name.replace("'", "''") + "'!"
    return quoted in formula or sheet_name + "!" in formula
