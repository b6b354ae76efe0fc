"""Everything on the OOXML removal list is reported, then gone (Chiba 2(12) 無害化; Saitama
第3 4(3) 属性情報), for Word, Excel and PowerPoint, plain and macro-enabled; macro-enabled
files come out as the plain type with their content types rewritten."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from core.errors import VerificationFailed
from handlers.base import CleanOptions, Handler
from handlers.detect import detect
from handlers.extract import extract
from handlers.ooxml import ExcelHandler, PowerPointHandler, WordHandler
from handlers.ooxml.family import DOCM, DOCX, PPTM, PPTX, XLSM, XLSX
from tests.fixtures.ooxmldirty import (
    SECRETS,
    make_dirty_excel,
    make_dirty_powerpoint,
    make_dirty_word,
)
from tests.handlers.ooxml.support import clean, contains, members

TEXT = "KEEP-THIS-TEXT-5e6f 本文"
Maker = Callable[..., bytes]
FAMILIES: dict[str, tuple[type[Handler], Maker, str, str]] = {
    "word": (WordHandler, make_dirty_word, DOCX, DOCM),
    "excel": (ExcelHandler, make_dirty_excel, XLSX, XLSM),
    "powerpoint": (PowerPointHandler, make_dirty_powerpoint, PPTX, PPTM),
}
#: Kinds each dirty fixture plants; every one must be reported before cleaning.
EXPECTED = {
    "word": {"vba", "activex", "ole_object", "embedded_package", "external_template",
             "external_image", "dde", "custom_xml", "comments", "comment_authors",
             "comment_anchors", "printer_settings", "thumbnail", "custom_ui", "unsafe_link",
             "mail_merge", "document_variables", "rsid", "editing_permissions",
             "image_metadata", "unreferenced_part"},
    "excel": {"vba", "activex", "ole_object", "embedded_package", "external_data", "dde",
              "dangerous_formula", "macro_sheet", "macro_reference", "custom_xml", "comments",
              "printer_settings", "thumbnail", "custom_ui", "file_path", "author_name",
              "unreferenced_part"},
    "powerpoint": {"vba", "activex", "ole_object", "embedded_package", "slide_action",
                   "unsafe_link", "tags", "custom_xml", "comments", "comment_authors",
                   "printer_settings", "thumbnail", "custom_ui", "unreferenced_part"},
}
#: Entry names no cleaned package may hold.
FORBIDDEN_ENTRIES = re.compile(
    r"(vbaProject|vbaData|activeX|embeddings|customXml|printerSettings|thumbnail|people"
    r"|comments|commentAuthors|macrosheets|externalLinks|connections|customUI|tags/"
    r"|hidden-payload|docProps/(core|app|custom))", re.IGNORECASE)
CASES = [(family, macro) for family in FAMILIES for macro in (False, True)]


def _ids(case: tuple[str, bool]) -> str:
    return f"{case[0]}-{'macro' if case[1] else 'plain'}"


@pytest.fixture(scope="module", params=CASES, ids=_ids)
def case(request: pytest.FixtureRequest) -> tuple[str, bool, bytes, bytes, Handler]:
    family, macro = request.param
    handler, make, _plain, _macro = FAMILIES[family]
    dirty = make(TEXT, macro=macro)
    cleaned, opened = clean(handler, dirty)
    return family, macro, dirty, cleaned, opened


def test_every_planted_kind_is_reported_then_removed(case: tuple) -> None:
    family, _macro, dirty, cleaned, opened = case
    handler = FAMILIES[family][0]
    with handler.open(dirty) as fresh:
        found = fresh.inspect().removable()
    assert EXPECTED[family] <= set(found), EXPECTED[family] - set(found)
    assert EXPECTED[family] <= set(opened.removed)
    assert handler.verify(cleaned).removable() == {}


#: Secrets each dirty fixture carries (the rest belong to another family's fixture).
PLANTED = {
    "word": set(SECRETS) - {"connection", "external_book", "abs_path", "sharing_user", "tags",
                            "macro_sheet"},
    "excel": {"vba", "activex", "ole", "package", "dde", "custom_xml", "people", "printer",
              "thumbnail", "payload", "author", "company", "connection", "external_book",
              "abs_path", "sharing_user", "custom_ui", "macro_sheet"},
    "powerpoint": {"vba", "activex", "ole", "package", "custom_xml", "people", "printer",
                   "thumbnail", "payload", "author", "company", "custom_ui", "tags"},
}


def test_no_planted_secret_survives(case: tuple) -> None:
    family, _macro, dirty, cleaned, _opened = case
    for name in PLANTED[family]:
        assert contains(dirty, SECRETS[name]), f"fixture lacks {name}"
        assert not contains(cleaned, SECRETS[name]), name


def test_no_forbidden_entry_and_fixed_zip_layout(case: tuple) -> None:
    _family, _macro, _dirty, cleaned, _opened = case
    names = list(members(cleaned))
    assert names[:2] == ["[Content_Types].xml", "_rels/.rels"]
    assert not [n for n in names if FORBIDDEN_ENTRIES.search(n)]
    assert names[3:] == sorted(names[3:])


def test_output_is_the_macro_free_type(case: tuple) -> None:
    family, macro, dirty, cleaned, opened = case
    _handler, _make, plain, macro_mime = FAMILIES[family]
    with FAMILIES[family][0].open(dirty) as fresh:
        assert fresh.inspect().mime == (macro_mime if macro else plain)
        assert fresh.inspect().properties["macro_enabled"] is macro
    assert opened.output_mime() == plain
    assert detect(cleaned).mime == plain
    types = members(cleaned)["[Content_Types].xml"].decode()
    assert "macroEnabled" not in types and "vbaProject" not in types
    assert 'Extension="bin"' not in types


def test_the_text_is_still_there(case: tuple) -> None:
    family, _macro, _dirty, cleaned, _opened = case
    assert TEXT in extract(cleaned, FAMILIES[family][2], ocr=False).text


def test_inspection_names_keys_never_values(case: tuple) -> None:
    family, _macro, dirty, _cleaned, _opened = case
    with FAMILIES[family][0].open(dirty) as fresh:
        inspection = fresh.inspect()
    report = json.dumps(inspection.to_dict(), ensure_ascii=False)
    assert {"core:creator", "app:Company", "custom:MSIP_Label_0000_Enabled"} <= set(
        inspection.metadata_keys)
    for secret in (*SECRETS.values(), TEXT):
        assert secret not in report


def test_cleaning_is_deterministic_and_idempotent(case: tuple) -> None:
    family, _macro, dirty, cleaned, _opened = case
    assert clean(FAMILIES[family][0], dirty)[0] == cleaned
    again, reopened = clean(FAMILIES[family][0], cleaned)
    assert again == cleaned
    assert reopened.removed == {}


def test_verify_refuses_the_dirty_file(case: tuple) -> None:
    family, _macro, dirty, _cleaned, _opened = case
    with pytest.raises(VerificationFailed) as refused:
        FAMILIES[family][0].verify(dirty)
    assert SECRETS["author"] not in refused.value.message


def test_word_keeps_safe_fields_and_results_of_removed_ones() -> None:
    cleaned, _ = clean(WordHandler, make_dirty_word(TEXT))
    document = members(cleaned)["word/document.xml"].decode()
    assert " PAGE " in document and "DDE" not in document.upper().replace("DDE RESULT", "")
    assert "dde result" in document and "split result" in document
    assert "w:object" not in document and "r:link" not in document
    assert "w:rsid" not in document and "permStart" not in document


def test_word_links_follow_the_profile() -> None:
    safe = make_dirty_word(TEXT)
    kept, _ = clean(WordHandler, _with_safe_link(safe))
    assert contains(kept, "https://example.jp/kept")
    removed, opened = clean(WordHandler, _with_safe_link(safe), CleanOptions(remove_links=True))
    assert not contains(removed, "https://example.jp/kept")
    # Both links go as hyperlinks: the safe one and the file: link the fixture plants.
    assert opened.removed["hyperlink"] == 2 and "unsafe_link" not in opened.removed
    assert "link" in extract(removed, DOCX, ocr=False).text  # the linked text stays


def _with_safe_link(data: bytes) -> bytes:
    from tests.fixtures.ooxmldirty import PackageEditor

    editor = PackageEditor(data)
    rel = editor.relate("word/document.xml", "hyperlink", "https://example.jp/kept",
                        external=True)
    editor.insert("word/document.xml", "<w:sectPr",
                  f'<w:p><w:hyperlink r:id="{rel}"><w:r><w:t>link</w:t></w:r></w:hyperlink></w:p>')
    return editor.save()


def test_excel_keeps_values_and_safe_formulas() -> None:
    cleaned, _ = clean(ExcelHandler, make_dirty_excel(TEXT))
    sheet = members(cleaned)["xl/worksheets/sheet1.xml"].decode()
    assert "<f>SUM(1,2)</f>" in sheet
    assert "cmd|" not in sheet and "[1]" not in sheet and "WEBSERVICE" not in sheet
    assert '<c r="A20"><v>0</v></c>' in sheet and '<c r="B20"><v>5</v></c>' in sheet
    workbook = members(cleaned)["xl/workbook.xml"].decode()
    assert "Macro1" not in workbook and "Auto_Open" not in workbook
    assert 'localSheetId="0"' in workbook  # renumbered after the macro sheet went
    assert "externalReferences" not in workbook and "absPath" not in workbook


def test_powerpoint_drops_ole_frames_and_program_actions() -> None:
    cleaned, _ = clean(PowerPointHandler, make_dirty_powerpoint(TEXT))
    slide = members(cleaned)["ppt/slides/slide1.xml"].decode()
    assert "graphicFrame" not in slide and "oleObj" not in slide
    assert "ppaction://program" not in slide and "ppaction://macro" not in slide
    assert "p:controls" not in slide and "p:tags" not in slide
    assert "click" in slide  # the shape's text stays


def test_strict_ooxml_spellings_are_cleaned_alike() -> None:
    from tests.fixtures.ooxmldirty import PackageEditor

    editor = PackageEditor(make_dirty_word(TEXT))
    for name, body in editor.members.items():
        editor.members[name] = body.replace(
            b"http://schemas.openxmlformats.org/wordprocessingml/2006/main",
            b"http://purl.oclc.org/ooxml/wordprocessingml/main").replace(
            b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
            b"http://purl.oclc.org/ooxml/officeDocument/relationships")
    cleaned, opened = clean(WordHandler, editor.save())
    assert EXPECTED["word"] <= set(opened.removed)
    assert not [name for name in PLANTED["word"] if contains(cleaned, SECRETS[name])]
    assert contains(cleaned, TEXT)
