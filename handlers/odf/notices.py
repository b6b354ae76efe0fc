"""Content that is kept but reported (``Inspection.notices``; the profile may refuse it).

Tracked changes keep deleted text inside the file; hidden text, sections, sheets, rows,
columns and slides are there for anyone who unhides them. Removing them would change the
document behind its author's back, so they are counted and ``CleanOptions`` decides
(issue 4: "Tracked changes and hidden sheets/text are reported; the profile decides").
"""

from __future__ import annotations

from collections import Counter
from xml.etree.ElementTree import Element

from handlers.odf.names import DRAW, PRESENTATION, STYLE, TABLE, TEXT, qn

TRACKED_CHANGES = "tracked_changes"
HIDDEN_TEXT = "hidden_text"
HIDDEN_SHEETS = "hidden_sheets"
HIDDEN_ROWS_OR_COLUMNS = "hidden_rows_or_columns"
HIDDEN_SLIDES = "hidden_slides"

_CHANGED_REGION = qn(TEXT, "changed-region")
_HIDDEN_FIELDS = frozenset({qn(TEXT, "hidden-text"), qn(TEXT, "hidden-paragraph")})
_SECTION = qn(TEXT, "section")
_DISPLAY = qn(TEXT, "display")
_STYLE = qn(STYLE, "style")
_FAMILY = qn(STYLE, "family")
_NAME = qn(STYLE, "name")
_TABLE_PROPERTIES = qn(STYLE, "table-properties")
_TEXT_PROPERTIES = qn(STYLE, "text-properties")
_TABLE_DISPLAY = qn(TABLE, "display")
_TABLE = qn(TABLE, "table")
_TABLE_STYLE = qn(TABLE, "style-name")
_VISIBILITY = qn(TABLE, "visibility")
_ROWS_AND_COLUMNS = frozenset({qn(TABLE, "table-row"), qn(TABLE, "table-column")})
_PAGE = qn(DRAW, "page")
_SLIDE_VISIBILITY = qn(PRESENTATION, "visibility")


class NoticeCounter:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._hidden_table_styles: set[str] = set()

    def prepare(self, root: Element) -> None:
        """Styles come before the body: learn which table styles hide a sheet, and count
        character styles that hide text (``text:display="none"``)."""
        for style in root.iter(_STYLE):
            hidden_table = style.get(_FAMILY) == "table" and any(
                props.get(_TABLE_DISPLAY) == "false" for props in style.iter(_TABLE_PROPERTIES)
            )
            if hidden_table:
                self._hidden_table_styles.add(style.get(_NAME, ""))
            if any(props.get(_DISPLAY) in ("none", "condition")
                   for props in style.iter(_TEXT_PROPERTIES)):
                self.counts[HIDDEN_TEXT] += 1

    def visit(self, element: Element) -> None:
        tag = element.tag
        if tag == _CHANGED_REGION:
            self.counts[TRACKED_CHANGES] += 1
        elif tag in _HIDDEN_FIELDS:
            self.counts[HIDDEN_TEXT] += 1
        elif tag == _SECTION and element.get(_DISPLAY) in ("none", "condition"):
            self.counts[HIDDEN_TEXT] += 1
        elif tag == _TABLE and element.get(_TABLE_STYLE) in self._hidden_table_styles:
            self.counts[HIDDEN_SHEETS] += 1
        elif tag in _ROWS_AND_COLUMNS and element.get(_VISIBILITY) in ("collapse", "filter"):
            self.counts[HIDDEN_ROWS_OR_COLUMNS] += 1
        elif tag == _PAGE and element.get(_SLIDE_VISIBILITY) == "hidden":
            self.counts[HIDDEN_SLIDES] += 1
