"""Checks by tools we did not write (issue 4, independent verification): python-docx,
openpyxl and python-pptx open cleaned and labelled files; exiftool finds no personal
metadata; LibreOffice converts a cleaned, labelled document without error."""

from __future__ import annotations

import io

import docx
import openpyxl
import pptx
import pytest

from handlers.base import LabelStamp
from handlers.ooxml import ExcelHandler, PowerPointHandler, WordHandler
from tests.fixtures.ooxmldirty import AUTHOR, SECRETS, plant_excel, plant_powerpoint, plant_word
from tests.handlers.ooxml.support import (
    clean,
    exiftool,
    members,
    needs_soffice,
    skip_without_exiftool,
    soffice_converts,
)

TEXT = "INDEPENDENT-TEXT-6f70"
STAMP = LabelStamp({"confidentiality": "C2"}, visible="機密性2（中）情報")
#: exiftool tag names (group 1 prefix stripped) that carry people, places or organisations.
PERSONAL_TAGS = {"Creator", "LastModifiedBy", "Company", "Manager", "Author", "Title",
                 "Subject", "Keywords", "Description", "Template", "CreateDate", "ModifyDate",
                 "TotalEditTime", "Revision", "HyperlinkBase", "MSIP_Label_0000_Enabled"}


def _word() -> bytes:
    document = docx.Document()
    document.add_paragraph(TEXT)
    document.sections[0].header.paragraphs[0].text = "existing header"
    document.core_properties.author = AUTHOR
    document.core_properties.last_modified_by = AUTHOR
    document.core_properties.comments = SECRETS["company"]
    out = io.BytesIO()
    document.save(out)
    return plant_word(out.getvalue())


def _excel() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = TEXT
    workbook.active["A2"] = "=SUM(1,2)"
    workbook.properties.creator = AUTHOR
    workbook.properties.lastModifiedBy = AUTHOR
    out = io.BytesIO()
    workbook.save(out)
    return plant_excel(out.getvalue())


def _powerpoint() -> bytes:
    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = TEXT
    presentation.core_properties.author = AUTHOR
    out = io.BytesIO()
    presentation.save(out)
    return plant_powerpoint(out.getvalue())


@pytest.fixture(scope="module")
def word() -> tuple[bytes, bytes, bytes]:
    dirty = _word()
    cleaned, _ = clean(WordHandler, dirty)
    return dirty, cleaned, WordHandler.write_label(cleaned, STAMP)


@pytest.fixture(scope="module")
def excel() -> tuple[bytes, bytes, bytes]:
    dirty = _excel()
    cleaned, _ = clean(ExcelHandler, dirty)
    return dirty, cleaned, ExcelHandler.write_label(cleaned, STAMP)


@pytest.fixture(scope="module")
def powerpoint() -> tuple[bytes, bytes, bytes]:
    dirty = _powerpoint()
    cleaned, _ = clean(PowerPointHandler, dirty)
    return dirty, cleaned, PowerPointHandler.write_label(cleaned, STAMP)


def test_python_docx_reads_cleaned_and_labelled(word: tuple[bytes, bytes, bytes]) -> None:
    for data in word[1:]:
        document = docx.Document(io.BytesIO(data))
        assert TEXT in [p.text for p in document.paragraphs]
        assert document.core_properties.author in ("", None)
    header = docx.Document(io.BytesIO(word[2])).sections[0].header
    header_xml = header._element.xml  # the label sits in a content control
    assert "機密性2（中）情報" in header_xml and "existing header" in header_xml


def test_openpyxl_reads_cleaned_and_labelled(excel: tuple[bytes, bytes, bytes]) -> None:
    for data in excel[1:]:
        workbook = openpyxl.load_workbook(io.BytesIO(data))
        assert workbook.sheetnames == ["Sheet"]
        assert workbook["Sheet"]["A1"].value == TEXT
        assert workbook["Sheet"]["A2"].value == "=SUM(1,2)"
        assert workbook.properties.creator in (None, "openpyxl")
    sheet = openpyxl.load_workbook(io.BytesIO(excel[2]))["Sheet"]
    assert (sheet.oddHeader.center.text or "").startswith("&B機密性2（中）情報&B")


def test_python_pptx_reads_cleaned_and_labelled(powerpoint: tuple[bytes, bytes, bytes]) -> None:
    for data in powerpoint[1:]:
        presentation = pptx.Presentation(io.BytesIO(data))
        assert presentation.slides[0].shapes.title.text == TEXT
    labelled = pptx.Presentation(io.BytesIO(powerpoint[2]))
    boxes = [s for s in labelled.slides[0].shapes if s.name == "SekishoLabel"]
    assert len(boxes) == 1 and boxes[0].text_frame.text == "機密性2（中）情報"


@pytest.mark.parametrize("family", ["word", "excel", "powerpoint"])
def test_exiftool_finds_no_personal_metadata(family: str, request: pytest.FixtureRequest) -> None:
    skip_without_exiftool()
    dirty, cleaned, labelled = request.getfixturevalue(family)
    suffix = {"word": ".docx", "excel": ".xlsx", "powerpoint": ".pptx"}[family]
    before = {key.split(":")[-1] for key in exiftool(dirty, suffix)}
    assert {"Creator"} <= before  # the control: exiftool does read these files' properties
    for data in (cleaned, labelled):
        found = exiftool(data, suffix)
        tags = {key.split(":")[-1] for key in found}
        assert not tags & PERSONAL_TAGS, tags & PERSONAL_TAGS
        assert AUTHOR not in str(found)
    assert "SekishoClassification" in {key.split(":")[-1] for key in exiftool(labelled, suffix)}


@needs_soffice
def test_libreoffice_opens_the_cleaned_labelled_document(word: tuple[bytes, bytes, bytes]) -> None:
    text = soffice_converts(word[2], ".docx").replace(" ", "")
    assert TEXT in text
    assert text.count("機密性2（中）情報") == 2  # header and footer of the page
    assert "existingheader" in text


@needs_soffice
def test_libreoffice_opens_the_cleaned_labelled_workbook(excel: tuple[bytes, bytes, bytes]) -> None:
    text = soffice_converts(excel[2], ".xlsx").replace(" ", "")
    assert TEXT in text and "機密性2（中）情報" in text


def test_a_chart_keeps_its_cached_data_without_its_embedded_workbook() -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[6])
    data = CategoryChartData()
    data.categories = ["a", "b"]
    data.add_series("S1", (1.0, 2.0))
    slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(1), Inches(4),
                           Inches(3), data)
    out = io.BytesIO()
    presentation.save(out)
    assert any("embeddings/" in name for name in members(out.getvalue()))
    cleaned, opened = clean(PowerPointHandler, out.getvalue())
    assert opened.removed["embedded_package"] == 1
    assert not any("embeddings/" in name for name in members(cleaned))
    chart = pptx.Presentation(io.BytesIO(cleaned)).slides[0].shapes[0].chart
    assert list(chart.plots[0].categories) == ["a", "b"]
    assert list(chart.series[0].values) == [1.0, 2.0]
