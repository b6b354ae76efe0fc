"""Labels written back into cleaned Office files (Chiba 6.2(2): the classification in the
file properties and in the header/footer; LBL-01): one custom property that reads back, the
visible line on every page/sheet/slide, relabelling replaces, verify accepts nothing else."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pptx
import pytest

from core.errors import VerificationFailed
from handlers.base import LabelStamp
from handlers.limits import LabelTooLarge
from handlers.ooxml import ExcelHandler, PowerPointHandler, WordHandler
from handlers.ooxml.label_sheet import header_with_label, split_sections
from handlers.ooxml.label_word import TAG
from handlers.ooxml.limits import LabelDoesNotFit
from handlers.ooxml.properties import LABEL_KEY
from tests.fixtures.officegen import make_docx, make_pptx, make_xlsx
from tests.fixtures.ooxmldirty import PackageEditor, make_dirty_word
from tests.handlers.ooxml.support import clean, members

LABEL = {"confidentiality": "C2", "restrictions": ["複製禁止"], "profile": "saitama-police"}
VISIBLE = "機密性2（中）情報　取扱制限：複製禁止"
STAMP = LabelStamp(LABEL, visible=VISIBLE)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _sections_document() -> bytes:
    """Two sections: the first with its own header, the second with a distinct first page;
    even and odd pages apart (settings)."""
    editor = PackageEditor(make_docx(["first section"], header="EXISTING-HEADER-7a81"))
    editor.insert("word/document.xml", "<w:sectPr",
                  '<w:p><w:pPr><w:sectPr><w:headerReference w:type="default" r:id="rId1"/>'
                  '<w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:pPr></w:p>'
                  "<w:p><w:r><w:t>second section</w:t></w:r></w:p>")
    editor.insert("word/document.xml", "</w:sectPr></w:body>", "<w:titlePg/>")
    editor.add("word/settings.xml", '<w:settings xmlns:w="http://schemas.openxmlformats.org/'
               'wordprocessingml/2006/main"><w:evenAndOddHeaders/></w:settings>',
               "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml")
    editor.relate("word/document.xml", "settings", "settings.xml")
    return editor.save()


def _shown_parts(data: bytes) -> list[tuple[str, str, str]]:
    """(kind, page type, part) Word shows for every page kind of every section, following
    the inheritance rules independently of the code under test."""
    parts = members(data)
    targets = {rel.get("Id"): "word/" + (rel.get("Target") or "") for rel in
               ET.fromstring(parts["word/_rels/document.xml.rels"]).iter(f"{RELS}Relationship")}
    shown: list[tuple[str, str, str]] = []
    inherited: dict[tuple[str, str], str] = {}
    for section in ET.fromstring(parts["word/document.xml"]).iter(f"{W}sectPr"):
        for kind in ("header", "footer"):
            for ref in section.findall(f"{W}{kind}Reference"):
                inherited[(kind, ref.get(f"{W}type", "default"))] = targets[ref.get(f"{R}id")]
        pages = ["default", "even"] + (["first"] if section.find(f"{W}titlePg") is not None
                                       else [])
        shown += [(k, p, inherited.get((k, p), "")) for k in ("header", "footer") for p in pages]
    return shown


@pytest.fixture(scope="module")
def word_labelled() -> bytes:
    cleaned, _ = clean(WordHandler, _sections_document())
    return WordHandler.write_label(cleaned, STAMP)


def test_word_label_on_every_page_kind_of_every_section(word_labelled: bytes) -> None:
    parts = members(word_labelled)
    shown = _shown_parts(word_labelled)
    assert len(shown) == 2 * 2 * 2 + 2  # 2 sections x header/footer x (odd, even) + 1 first
    for kind, page, part in shown:
        assert part in parts, (kind, page)
        assert VISIBLE in parts[part].decode(), (kind, page, part)


def test_word_existing_header_keeps_its_text_below_the_label(word_labelled: bytes) -> None:
    header = members(word_labelled)["word/header1.xml"].decode()
    assert header.index(VISIBLE) < header.index("EXISTING-HEADER-7a81")
    assert WordHandler.read_label(word_labelled) == LABEL


def test_relabelling_replaces_the_marking(word_labelled: bytes) -> None:
    again = WordHandler.write_label(word_labelled, LabelStamp({"confidentiality": "C3"}, "極秘"))
    assert WordHandler.read_label(again) == {"confidentiality": "C3"}
    for name, body in members(again).items():
        if name.startswith("word/") and ("header" in name or "footer" in name):
            assert body.decode().count(TAG) == 1, name
            assert VISIBLE not in body.decode() and "極秘" in body.decode()


def test_cleaning_drops_the_property_and_a_new_label_replaces_the_old_marking(
        word_labelled: bytes) -> None:
    cleaned, _ = clean(WordHandler, word_labelled)
    assert WordHandler.read_label(cleaned) is None
    relabelled = WordHandler.write_label(cleaned, STAMP)
    assert members(relabelled)["word/header1.xml"].decode().count(TAG) == 1


def test_verify_accepts_our_property_only(word_labelled: bytes) -> None:
    assert WordHandler.verify(word_labelled).metadata_keys == (LABEL_KEY,)
    editor = PackageEditor(word_labelled)
    editor.insert("docProps/custom.xml", "</Properties>",
                  '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3" '
                  'name="Other"><vt:lpwstr>x</vt:lpwstr></property>')
    with pytest.raises(VerificationFailed, match="metadata:custom:Other"):
        WordHandler.verify(editor.save())


def test_a_second_copy_of_our_property_is_refused(word_labelled: bytes) -> None:
    editor = PackageEditor(word_labelled)
    custom = editor.text("docProps/custom.xml")
    start = custom.index("<property")
    editor.insert("docProps/custom.xml", "</Properties>",
                  custom[start:custom.index("</Properties>")].replace('pid="2"', 'pid="3"'))
    with pytest.raises(VerificationFailed, match="duplicate"):
        WordHandler.verify(editor.save())


def test_unclean_input_and_oversized_labels_are_refused() -> None:
    with pytest.raises(VerificationFailed):
        WordHandler.write_label(make_dirty_word("x"), STAMP)
    cleaned, _ = clean(WordHandler, make_docx(["x"]))
    with pytest.raises(LabelTooLarge):
        WordHandler.write_label(cleaned, LabelStamp({"note": "x" * 10_000}, visible="x"))


def test_unreadable_label_reads_as_none(word_labelled: bytes) -> None:
    editor = PackageEditor(word_labelled)
    editor.members["docProps/custom.xml"] = editor.members["docProps/custom.xml"].replace(
        b"{&quot;", b"{{").replace(b'{"', b"{{")
    assert WordHandler.read_label(editor.save()) is None


# --- Excel -----------------------------------------------------------------------------------

def test_excel_header_on_every_sheet_hidden_ones_included() -> None:
    workbook = make_xlsx({"A": [["a"]], "B": [["b"]], "C": [["c"]]}, hidden={"B"},
                         header="OLD-CENTRE-8b92")
    cleaned, _ = clean(ExcelHandler, workbook)
    labelled = ExcelHandler.write_label(cleaned, STAMP)
    parts = members(labelled)
    for number in (1, 2, 3):
        sheet = parts[f"xl/worksheets/sheet{number}.xml"].decode()
        assert f"<oddHeader>&amp;C&amp;B{VISIBLE}&amp;B" in sheet, number
    first = parts["xl/worksheets/sheet1.xml"].decode()
    assert f"&amp;B{VISIBLE}&amp;B\nOLD-CENTRE-8b92" in first  # the old centre moves down
    relabelled = ExcelHandler.write_label(labelled, LabelStamp(LABEL, visible="極秘"))
    sheet = members(relabelled)["xl/worksheets/sheet1.xml"].decode()
    assert VISIBLE not in sheet and sheet.count("極秘") == 1 and "OLD-CENTRE-8b92" in sheet
    assert ExcelHandler.read_label(relabelled) == LABEL


def test_excel_header_codes() -> None:
    assert split_sections("&Lleft&Ccentre&Rright") == {"L": "left", "C": "centre", "R": "right"}
    assert split_sections("plain && more") == {"L": "", "C": "plain && more", "R": ""}
    assert header_with_label("&Rpage &P", "A&B") == "&C&BA&&B&B&Rpage &P"
    with pytest.raises(LabelDoesNotFit):
        header_with_label("&C" + "x" * 250, VISIBLE)


def test_excel_first_and_even_page_headers_when_the_sheet_sets_them_apart() -> None:
    editor = PackageEditor(make_xlsx({"A": [["a"]]}))
    editor.insert("xl/worksheets/sheet1.xml", "</worksheet>",
                  '<headerFooter differentFirst="1" differentOddEven="1">'
                  "<evenFooter>e</evenFooter></headerFooter>")
    cleaned, _ = clean(ExcelHandler, editor.save())
    sheet = members(ExcelHandler.write_label(cleaned, STAMP))["xl/worksheets/sheet1.xml"]
    footer = ET.fromstring(sheet).find(
        "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}headerFooter")
    assert footer is not None
    assert [child.tag.split("}")[1] for child in footer] == [
        "oddHeader", "evenHeader", "evenFooter", "firstHeader"]
    assert all(VISIBLE in (child.text or "") for child in footer if "Header" in child.tag)


# --- PowerPoint ------------------------------------------------------------------------------

def test_powerpoint_box_on_every_slide_once() -> None:
    deck = make_pptx(["one", "two", "three"], hidden={3})
    cleaned, _ = clean(PowerPointHandler, deck)
    labelled = PowerPointHandler.write_label(cleaned, STAMP)
    twice = PowerPointHandler.write_label(labelled, STAMP)
    presentation = pptx.Presentation(io.BytesIO(twice))
    for slide in presentation.slides:
        boxes = [s for s in slide.shapes if s.name == "SekishoLabel"]
        assert len(boxes) == 1 and boxes[0].text_frame.text == VISIBLE
        ids = [s.shape_id for s in slide.shapes]
        assert len(ids) == len(set(ids))
        assert boxes[0].top + boxes[0].height <= presentation.slide_height
    assert PowerPointHandler.read_label(twice) == LABEL
