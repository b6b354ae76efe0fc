"""Tracked changes and hidden sheets, rows, text and slides are reported, not removed; the
profile (CleanOptions) decides whether such a file is cleaned or refused (issue 4)."""

from __future__ import annotations

import pytest

from core.errors import RefusedByProfile
from handlers.base import CleanOptions, Handler
from handlers.ooxml import ExcelHandler, PowerPointHandler, WordHandler
from tests.fixtures.officegen import make_docx, make_pptx, make_xlsx
from tests.fixtures.ooxmldirty import PackageEditor
from tests.handlers.ooxml.support import clean, members

REFUSE_CHANGES = CleanOptions(tracked_changes="refuse")
REFUSE_HIDDEN = CleanOptions(hidden_content="refuse")


def _hidden_rows() -> bytes:
    editor = PackageEditor(make_xlsx({"A": [["a"], ["b"]]}))
    sheet = "xl/worksheets/sheet1.xml"
    editor.members[sheet] = editor.members[sheet].replace(b'<row r="2">',
                                                          b'<row r="2" hidden="1">')
    return editor.save()


CASES: list[tuple[str, type[Handler], bytes, dict[str, int], CleanOptions]] = [
    ("tracked", WordHandler, make_docx(["x"], inserted="new", deleted="old"),
     {"tracked_changes": 2}, REFUSE_CHANGES),
    ("hidden_text", WordHandler, make_docx(["x"], hidden="secret"), {"hidden_text": 1},
     REFUSE_HIDDEN),
    ("hidden_sheets", ExcelHandler,
     make_xlsx({"A": [["a"]], "B": [["b"]], "C": [["c"]]}, hidden={"B"}, very_hidden={"C"}),
     {"hidden_sheets": 2}, REFUSE_HIDDEN),
    ("hidden_rows", ExcelHandler, _hidden_rows(), {"hidden_rows_or_columns": 1}, REFUSE_HIDDEN),
    ("hidden_slides", PowerPointHandler, make_pptx(["a", "b"], hidden={2}),
     {"hidden_slides": 1}, REFUSE_HIDDEN),
]


@pytest.mark.parametrize(("name", "handler", "data", "notices", "refuse"), CASES,
                         ids=[c[0] for c in CASES])
def test_reported_kept_or_refused(name: str, handler: type[Handler], data: bytes,
                                  notices: dict[str, int], refuse: CleanOptions) -> None:
    with handler.open(data) as opened:
        assert opened.inspect().notices == notices
        # Reported, not on the removal list (only the names on revision marks are).
        assert set(opened.inspect().removable()) <= {"revision_authors"}
    cleaned, _ = clean(handler, data)
    with handler.open(cleaned) as again:
        assert again.inspect().notices == notices  # kept
    with handler.open(data, refuse) as opened, pytest.raises(RefusedByProfile):
        opened.clean()
    other = REFUSE_HIDDEN if refuse is REFUSE_CHANGES else REFUSE_CHANGES
    assert clean(handler, data, other)[0] == cleaned  # the other policy does not apply


def test_revision_marks_keep_no_author_or_date() -> None:
    data = make_docx(["x"], inserted="new", deleted="old")
    assert b"Editor" in members(data)["word/document.xml"]
    cleaned, opened = clean(WordHandler, data)
    document = members(cleaned)["word/document.xml"].decode()
    assert 'w:author=""' in document and "Editor" not in document and "w:date" not in document
    assert "new" in document and "old" in document
    assert opened.removed["revision_authors"] == 2
