"""The visible label in Excel: the first line of the centre print header of every worksheet
and chartsheet (Chiba 6.2(2)). The issue asks for "a header row note"; a print header shows
on every printed page and in page layout view without touching a single cell, so formulas,
ranges and data that other workbooks or programs read stay exactly where they were.

The label is written in bold (``&B<label>&B``) as the first line of the centre section (first
page and even pages too when the sheet sets them apart). An existing centre header moves to
the next line; relabelling replaces a first line of exactly that form (a sheet whose own
centre header starts with a bold line of its own would lose that line on relabelling).
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from handlers.ooxml import policy
from handlers.ooxml.filters import is_off
from handlers.ooxml.limits import MAX_EXCEL_HEADER_CHARS, LabelDoesNotFit
from handlers.ooxml.writer import PackageModel
from handlers.ooxml.xmlstream import Node, XmlRewriter, start_tag

_CHILDREN = ("oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader",
             "firstFooter")
#: Worksheet/chartsheet children that come after headerFooter in the schema's sequence.
_AFTER = frozenset({"rowBreaks", "colBreaks", "customProperties", "cellWatches",
                    "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
                    "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
                    "webPublishItems", "tableParts", "extLst"})
_OPEN = _CLOSE = "&B"
_OLD_MARK = re.compile(re.escape(_OPEN) + r".*?" + re.escape(_CLOSE) + r"(?:\n|$)", re.DOTALL)


def header_with_label(header: str, visible: str) -> str:
    """``header`` (Excel header codes) with the label as the first centre line."""
    sections = split_sections(header)
    centre = _OLD_MARK.sub("", sections["C"], count=1) if sections["C"].startswith(
        _OPEN) else sections["C"]
    label = _OPEN + visible.replace("&", "&&") + _CLOSE
    sections["C"] = label + ("\n" + centre if centre else "")
    result = "".join(f"&{key}{value}" for key, value in sections.items() if value)
    if len(result) > MAX_EXCEL_HEADER_CHARS:
        raise LabelDoesNotFit(f"the header would exceed {MAX_EXCEL_HEADER_CHARS} characters")
    return result


def split_sections(header: str) -> dict[str, str]:
    """Left, centre and right sections; text before any section code is centred."""
    sections = {"L": "", "C": "", "R": ""}
    current, position = "C", 0
    while position < len(header):
        if header.startswith(("&L", "&C", "&R"), position):
            current = header[position + 1]
            position += 2
        elif header[position] == "&" and position + 1 < len(header):
            sections[current] += header[position:position + 2]
            position += 2
        else:
            sections[current] += header[position]
            position += 1
    return sections


class _SheetStamp(XmlRewriter):
    def __init__(self, visible: str) -> None:
        super().__init__()
        self._visible = visible
        self._texts: dict[str, list[str]] = {}
        self._done = False

    def on_start(self, node: Node) -> None:
        if len(self.stack) == 1 and not self._done and node.local in _AFTER:
            self.insert_before(node, self._header_footer(self.stack[0], None))
        elif node.local == "headerFooter" and len(self.stack) == 1:
            self._texts = {}

    def on_data(self, text: str) -> None:
        node = self.parent()
        if node is not None and node.local in _CHILDREN and len(self.stack) == 3:
            self._texts.setdefault(node.local, []).append(text)

    def on_end(self, node: Node) -> None:
        if node.local == "headerFooter" and len(self.stack) == 2:
            node.replacement = self._header_footer(node, node)
        elif len(self.stack) == 1 and not self._done:
            self.append_child(node, self._header_footer(node, None))

    def _header_footer(self, anchor: Node, existing: Node | None) -> str:
        """A complete headerFooter element in the sheet's namespace prefix."""
        self._done = True
        prefix = anchor.qname.rpartition(":")[0]
        name = (prefix + ":" if prefix else "") + "headerFooter"
        texts = {key: "".join(parts) for key, parts in self._texts.items()}
        for key, attribute in (("evenHeader", "differentOddEven"),
                               ("firstHeader", "differentFirst")):
            if existing is not None and _on(existing.get(attribute)):
                texts[key] = header_with_label(texts.get(key, ""), self._visible)
        texts["oddHeader"] = header_with_label(texts.get("oddHeader", ""), self._visible)
        children = "".join(
            f"<{_child(prefix, key)}>{escape(texts[key])}</{_child(prefix, key)}>"
            for key in _CHILDREN if texts.get(key))
        if existing is None:
            return f"<{name}>{children}</{name}>"
        return start_tag(existing) + children + f"</{existing.qname}>"


def _child(prefix: str, local: str) -> str:
    return f"{prefix}:{local}" if prefix else local


def _on(value: str | None) -> bool:
    return value is not None and not is_off(value)


def stamp_sheets(model: PackageModel, visible: str) -> None:
    for name in model.parts_of_type(policy.SML + "worksheet+xml",
                                    policy.SML + "chartsheet+xml"):
        model.parts[name] = _SheetStamp(visible).rewrite(model.parts[name])
