"""Word fields and Excel formulas: allow-listed fields stay, DDE and outward-reaching ones
lose their instruction (their displayed result stays), whatever the spelling or split."""

from __future__ import annotations

import pytest

from handlers.base import CleanOptions
from handlers.ooxml import WordHandler
from handlers.ooxml.instructions import field_kind, formula_kind
from tests.fixtures.officegen import make_docx
from tests.fixtures.ooxmldirty import PackageEditor
from tests.handlers.ooxml.support import clean, members


@pytest.mark.parametrize(("instruction", "kind"), [
    (" PAGE ", None), ("page \\* MERGEFORMAT", None), ("= 2 + 3", None),
    ("TOC \\o \"1-3\" \\h", None), ('REF _Ref1 \\h', None), ("", None),
    ('DDEAUTO c:\\\\windows\\\\cmd.exe "/k calc"', "dde"), ("dde excel x y", "dde"),
    ('INCLUDEPICTURE "http://tracker.invalid/p.png" \\d', "external_field"),
    ('INCLUDETEXT "\\\\\\\\server\\\\share\\\\a.docx"', "external_field"),
    ("LINK Excel.Sheet.8 C:\\\\a.xls", "external_field"),
    ("MACROBUTTON Run Click", "field_other"), ("PRINT 27", "field_other"),
    ('HYPERLINK "https://example.jp/"', None), ('HYPERLINK \\l "_Toc1"', None),
    ('HYPERLINK "file:///C:/x"', "unsafe_link"), ('HYPERLINK \\o "tip" "\\\\\\\\h\\\\s"',
                                                    "unsafe_link"),
])
def test_field_kinds(instruction: str, kind: str | None) -> None:
    assert field_kind(instruction, remove_links=False) == kind


def test_links_by_profile() -> None:
    assert field_kind('HYPERLINK "https://example.jp/"', remove_links=True) == "hyperlink"
    assert field_kind('HYPERLINK \\l "_Toc1"', remove_links=True) is None


@pytest.mark.parametrize(("formula", "kind"), [
    ("SUM(A1:A3)", None), ('"a|b"&A1', None), ("Table1[Col]", None), ("Table1[2020]", None),
    ("cmd|' /C calc'!A0", "dde"), ("=MSEXCEL|'\\..\\..\\cmd.exe /c calc'!''", "dde"),
    ("[1]Sheet1!A1", "external_data"), ("'[2]My Sheet'!B2*2", "external_data"),
    ("RTD(\"srv\",,\"x\")", "dangerous_formula"), ("_xlfn.WEBSERVICE(A1)", "dangerous_formula"),
    ("CALL(\"kernel32\",\"WinExec\",\"JCJ\",\"calc\",0)", "dangerous_formula"),
    ('_xlfn.IMAGE("http://x.invalid/a.png")', "dangerous_formula"),
    ('HYPERLINK("https://example.jp","go")', None),
    ('HYPERLINK("file:///C:/x","go")', "unsafe_link"),
])
def test_formula_kinds(formula: str, kind: str | None) -> None:
    assert formula_kind(formula, remove_links=False) == kind


def _word(body: str) -> str:
    editor = PackageEditor(make_docx(["x"]))
    editor.insert("word/document.xml", "<w:sectPr", body)
    cleaned, _ = clean(WordHandler, editor.save(), CleanOptions())
    return members(cleaned)["word/document.xml"].decode()


def _field(*instruction: str, result: str = "shown") -> str:
    runs = "".join(f'<w:r><w:instrText xml:space="preserve">{part}</w:instrText></w:r>'
                   for part in instruction)
    return ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>' + runs
            + f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>{result}</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>')


def test_a_field_name_made_by_a_nested_field_is_removed() -> None:
    body = ('<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>' + _field("QUOTE 68 68 69")
            + '<w:r><w:instrText> "cmd.exe"</w:instrText></w:r><w:r><w:fldChar '
            'w:fldCharType="separate"/></w:r><w:r><w:t>outer</w:t></w:r><w:r><w:fldChar '
            'w:fldCharType="end"/></w:r></w:p>')
    document = _word(body)
    assert "cmd.exe" not in document and "outer" in document
    assert "QUOTE 68 68 69" in document  # the nested field itself is harmless


def test_fields_across_paragraphs_and_unfinished_fields() -> None:
    across = ('<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>DDE a'
              "</w:instrText></w:r></w:p><w:p><w:r><w:instrText> b c</w:instrText></w:r>"
              '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
    unfinished = ('<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>'
                  "INCLUDETEXT x</w:instrText></w:r></w:p>")
    document = _word(across + unfinished)
    assert "instrText" not in document and "fldChar" not in document
    assert "DDE" not in document and "INCLUDETEXT" not in document


def test_safe_fields_nested_in_removed_ones_and_the_reverse() -> None:
    document = _word("<w:p>" + _field(" IF 1 = 1 ") + "</w:p><w:p>"
                     + _field("DDE x y", result="r1") + "</w:p>")
    assert " IF 1 = 1 " in document and "DDE" not in document and "r1" in document
