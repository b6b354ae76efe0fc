"""DOCX/XLSX/PPTX: every side part is read and named; properties become metadata."""

from __future__ import annotations

import io
import zipfile

import pytest

from handlers.extract import extract
from tests.fixtures.imagegen import make_text_image
from tests.fixtures.officegen import (
    AUTHOR,
    COMMENT_AUTHOR,
    COMPANY,
    LAST_MODIFIED_BY,
    MARK,
    make_dirty_docx,
    make_dirty_pptx,
    make_dirty_xlsx,
    make_docx,
    make_pptx,
    make_xlsx,
)
from tests.fixtures.officegen_sheets import MASTER_MARK
from tests.handlers.extract.support import (
    assert_report_is_clean,
    extract_detected,
    reasons,
    requires_japanese_font,
    requires_ocr,
)

DOCX_PARTS = {
    "header": "word/header1.xml", "footer": "word/footer1.xml",
    "footnote": "word/footnotes.xml", "endnote": "word/endnotes.xml", "comment": "comments",
    "inserted": "tracked_insertions", "deleted": "tracked_deletions", "hidden": "hidden_text",
    "body": "word/document.xml", "custom": "custom_properties", "link": "external_links",
}


@pytest.fixture(scope="module")
def docx() -> bytes:
    return make_dirty_docx()


@pytest.mark.parametrize("side", sorted(DOCX_PARTS))
def test_docx_side_part_text_is_read_and_named(docx: bytes, side: str) -> None:
    extraction = extract_detected(docx)
    assert MARK[side] in extraction.text
    assert DOCX_PARTS[side] in extraction.parts


def test_docx_metadata_and_people(docx: bytes) -> None:
    extraction = extract_detected(docx)
    assert extraction.metadata["author"] == AUTHOR
    assert extraction.metadata["last_modified_by"] == LAST_MODIFIED_BY
    assert extraction.metadata["company"] == COMPANY
    assert extraction.metadata["comment_authors"] == COMMENT_AUTHOR
    assert extraction.metadata["revision_authors"] == "Editor"
    assert extraction.complete
    assert_report_is_clean(extraction, [*MARK.values(), AUTHOR, COMPANY])


def test_deleted_text_does_not_fuse_with_its_replacement() -> None:
    extraction = extract_detected(make_docx([], inserted="山田", deleted="佐藤"))
    assert "山田佐藤" not in extraction.text
    assert "山田" in extraction.text and "佐藤" in extraction.text


def test_runs_of_one_paragraph_join_and_tables_are_read() -> None:
    """The evaluation generator splits entities over runs; they must come back whole."""
    data = make_docx([["マイナンバー 1234 ", "5678 ", "9018"], "次の段落"],
                     tables=[[["氏名", "電話"], ["山田太郎", "03-1234-5678"]]])
    text = extract_detected(data).text
    assert "マイナンバー 1234 5678 9018" in text
    assert "03-1234-5678" in text and "山田太郎" in text
    assert text.index("マイナンバー") < text.index("次の段落") < text.index("山田太郎")


def test_line_breaks_and_tabs_inside_a_paragraph() -> None:
    text = extract_detected(make_docx(["一行目\n二行目\tタブ後"])).text
    assert "一行目\n二行目\tタブ後" in text


@pytest.mark.parametrize(
    ("builder", "mime_fragment"),
    [(lambda: make_docx(["DOCM-MARK"], macro=True), "DOCM-MARK"),
     (lambda: make_xlsx({"S": [["XLSM-MARK"]]}, macro=True), "XLSM-MARK"),
     (lambda: make_pptx(["PPTM-MARK"], macro=True), "PPTM-MARK")],
)
def test_macro_enabled_variants(builder: object, mime_fragment: str) -> None:
    assert callable(builder)
    assert mime_fragment in extract_detected(builder()).text


def test_kind_comes_from_the_package_not_libmagic() -> None:
    """libmagic calls OOXML application/zip depending on member order; the extractor decides
    from [Content_Types].xml and the officeDocument relationship instead."""
    original = make_docx(["ORDER-MARK"], comment="C-MARK")
    reordered = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(
        reordered, "w", zipfile.ZIP_DEFLATED
    ) as dst:
        names = sorted(src.namelist(), key=lambda n: n != "_rels/.rels")
        for name in names:
            dst.writestr(name, src.read(name))
    extraction = extract(reordered.getvalue(), "application/zip")
    assert "ORDER-MARK" in extraction.text and "comments" in extraction.parts


XLSX_PARTS = {
    "sheet": "xl/worksheets/sheet1.xml", "hidden_sheet": "hidden_sheet:2",
    "very_hidden_sheet": "very_hidden_sheet:3", "cell_comment": "cell_comments",
    "inline": "xl/worksheets/sheet1.xml", "sheet_header": "xl/worksheets/sheet1.xml",
}


@pytest.mark.parametrize("side", sorted(XLSX_PARTS))
def test_xlsx_every_sheet_and_comment(side: str) -> None:
    extraction = extract_detected(make_dirty_xlsx())
    assert MARK[side] in extraction.text
    assert XLSX_PARTS[side] in extraction.parts


def test_xlsx_cells_names_numbers_and_metadata() -> None:
    extraction = extract_detected(make_dirty_xlsx())
    assert "山田太郎\t123456789018" in extraction.text  # number cells are kept as written
    assert "秘密シート" in extraction.text  # sheet names are content
    assert "秘密シート" not in " ".join(extraction.parts)  # ...and never part names
    assert extraction.metadata["author"] == AUTHOR
    assert extraction.metadata["comment_authors"] == COMMENT_AUTHOR
    assert "&C" not in extraction.text  # header formatting codes are stripped


PPTX_PARTS = {
    "slide": "ppt/slides/slide1.xml", "hidden_slide": "hidden_slide:2",
    "notes": "speaker_notes", "slide_comment": "comments",
}


@pytest.mark.parametrize("side", sorted(PPTX_PARTS))
def test_pptx_slides_notes_comments(side: str) -> None:
    extraction = extract_detected(make_dirty_pptx())
    assert MARK[side] in extraction.text
    assert PPTX_PARTS[side] in extraction.parts


def test_pptx_master_text_and_metadata() -> None:
    extraction = extract_detected(make_dirty_pptx())
    assert MASTER_MARK in extraction.text  # generic pass over parts we do not model
    assert extraction.metadata["author"] == AUTHOR
    assert extraction.metadata["comment_authors"] == COMMENT_AUTHOR


def _replace_member(data: bytes, name: str, body: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, body if info.filename == name else src.read(info))
    return out.getvalue()


def test_a_broken_header_is_one_corrupt_part_and_the_rest_is_read() -> None:
    data = _replace_member(make_docx(["BODY-OK"], header="H"), "word/header1.xml",
                           b"<w:hdr><w:p><w:r><w:t>PARTIAL")
    extraction = extract_detected(data)
    assert "BODY-OK" in extraction.text
    assert ("corrupt_part", "word/header1.xml") in reasons(extraction)


@pytest.mark.parametrize(
    "hostile",
    [b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
     b'<w:hdr xmlns:w="w"><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:hdr>',
     b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
     b'<w:hdr xmlns:w="w"><w:p><w:r><w:t>&e;</w:t></w:r></w:p></w:hdr>'],
    ids=["entity-expansion", "external-entity"],
)
def test_dtds_and_entities_are_refused(hostile: bytes) -> None:
    data = _replace_member(make_docx(["BODY-OK"], header="H"), "word/header1.xml", hostile)
    extraction = extract_detected(data)
    assert "BODY-OK" in extraction.text
    assert "root:" not in extraction.text and "aaaa" not in extraction.text
    assert ("corrupt_part", "word/header1.xml") in reasons(extraction)


def test_xml_nested_too_deep_is_a_limit_on_that_part() -> None:
    deep = b'<w:hdr xmlns:w="w">' + b"<w:sdt>" * 300 + b"</w:sdt>" * 300 + b"</w:hdr>"
    data = _replace_member(make_docx(["BODY-OK"], header="H"), "word/header1.xml", deep)
    extraction = extract_detected(data)
    assert "BODY-OK" in extraction.text
    assert ("limit_exceeded", "word/header1.xml") in reasons(extraction)


def test_zip_that_is_not_an_archive_is_corrupt() -> None:
    from core.errors import CorruptFile

    with pytest.raises(CorruptFile):
        extract(b"PK\x03\x04 not really a zip", "application/zip")


def test_embedded_workbook_in_a_document_is_read() -> None:
    inner = make_xlsx({"S": [["EMBEDDED-XLSX-MARK"]]}, author="埋め込み作成者")
    data = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(make_docx(["outer"]))) as src, zipfile.ZipFile(
        data, "w"
    ) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        dst.writestr("word/embeddings/Microsoft_Excel_Worksheet1.xlsx", inner)
    extraction = extract_detected(data.getvalue())
    assert "EMBEDDED-XLSX-MARK" in extraction.text
    assert "埋め込み作成者" in extraction.metadata.values()


@requires_japanese_font
def test_pictures_in_a_document_without_ocr_are_reported() -> None:
    data = make_docx(["本文"], image=make_text_image(["取扱注意"]))
    extraction = extract_detected(data, ocr=False)
    assert ("ocr_unavailable", "word/media/image1.png/ocr") in reasons(extraction)


@requires_ocr
@requires_japanese_font
def test_pictures_in_a_document_are_ocrd() -> None:
    data = make_docx(["本文"], image=make_text_image(["取扱注意 画像内"]))
    extraction = extract_detected(data)
    assert "取扱注意" in extraction.text
    assert "word/media/image1.png:image/png" in extraction.parts
    assert extraction.complete
