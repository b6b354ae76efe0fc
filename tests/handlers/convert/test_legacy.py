"""RTF and legacy .doc/.xls/.ppt: refused when password-protected, converted to OOXML and
cleaned there otherwise."""

from __future__ import annotations

import io
import json

import pytest

from core.errors import ConverterUnavailable, CorruptFile, EncryptedContent
from handlers.convert import LegacyOfficeHandler, office
from handlers.convert.cfb import check_legacy
from tests.fixtures.olegen import make_encrypted_ooxml, make_legacy_doc
from tests.fixtures.rtfgen import RTF_AUTHOR, RTF_MARK, make_dirty_rtf
from tests.handlers.convert.support import DOCX, needs_libreoffice

WORD, EXCEL, POWERPOINT = ("application/msword", "application/vnd.ms-excel",
                           "application/vnd.ms-powerpoint")


def test_encrypted_ooxml_in_a_compound_file_is_refused() -> None:
    with pytest.raises(EncryptedContent):
        check_legacy(make_encrypted_ooxml(), WORD)
    with pytest.raises(EncryptedContent):
        LegacyOfficeHandler.open(make_encrypted_ooxml())


def test_a_compound_file_that_is_not_what_its_type_says_is_corrupt() -> None:
    with pytest.raises(CorruptFile):
        check_legacy(make_legacy_doc(), EXCEL)
    with pytest.raises(CorruptFile):
        check_legacy(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, WORD)


def test_broken_rtf_is_refused_before_conversion() -> None:
    with pytest.raises((CorruptFile, ConverterUnavailable)):
        LegacyOfficeHandler.open(b"{\\rtf" + b"\xff" * 10)  # not detected as RTF


def test_without_libreoffice_legacy_files_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office, "find_soffice", lambda: None)
    monkeypatch.setattr(office, "_shared", office.OfficeConverter())
    with pytest.raises(ConverterUnavailable) as raised:
        LegacyOfficeHandler.open(make_dirty_rtf())
    assert raised.value.code == "converter_unavailable"


@needs_libreoffice
class TestWithLibreOffice:
    def test_password_protected_legacy_files_are_refused(self) -> None:
        from tests.fixtures import legacygen as g

        for data in (g.mark_doc_encrypted(g.make_doc("暗号")),
                     g.mark_xls_encrypted(g.make_xls("暗号")),
                     g.mark_ppt_encrypted(g.make_ppt("暗号"))):
            with pytest.raises(EncryptedContent):
                LegacyOfficeHandler.open(data)

    def test_plain_legacy_files_pass_the_probe(self) -> None:
        from tests.fixtures import legacygen as g

        assert check_legacy(g.make_doc("平文"), WORD) == "legacy_word"
        assert check_legacy(g.make_xls("平文"), EXCEL) == "legacy_excel"
        assert check_legacy(g.make_ppt("平文"), POWERPOINT) == "legacy_powerpoint"

    def test_rtf_is_cleaned_as_docx(self) -> None:
        with LegacyOfficeHandler.open(make_dirty_rtf()) as handler:
            inspection = handler.inspect()
            assert inspection.mime == "text/rtf"
            assert "author" in inspection.metadata_keys
            assert RTF_AUTHOR not in json.dumps(inspection.to_dict(), ensure_ascii=False)
            assert RTF_MARK["body"] in handler.extract_text()
            cleaned = handler.clean()
            assert handler.output_mime() == DOCX
            assert handler.removed["legacy_format"] == 1
        import docx

        document = docx.Document(io.BytesIO(cleaned))  # opens without repair
        assert RTF_MARK["body"] in "\n".join(p.text for p in document.paragraphs)
        assert not document.core_properties.author
        assert RTF_AUTHOR.encode() not in cleaned

    def test_doc_is_cleaned_as_docx_without_its_author(self) -> None:
        from tests.fixtures.legacygen import LEGACY_AUTHOR, make_doc

        with LegacyOfficeHandler.open(make_doc("本文 LEGACY-DOC-MARK")) as handler:
            assert "SummaryInformation" in handler.inspect().metadata_keys
            cleaned = handler.clean()
        import docx

        document = docx.Document(io.BytesIO(cleaned))
        assert "LEGACY-DOC-MARK" in "\n".join(p.text for p in document.paragraphs)
        assert not document.core_properties.author
        assert LEGACY_AUTHOR.encode() not in cleaned

    def test_xls_and_ppt_become_xlsx_and_pptx(self) -> None:
        from tests.fixtures.legacygen import make_ppt, make_xls

        with LegacyOfficeHandler.open(make_xls("セル XLS-MARK")) as handler:
            assert "XLS-MARK" in handler.extract_text()
            xlsx = handler.clean()
        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
        assert sheet is not None and sheet["A1"].value == "セル XLS-MARK"
        with LegacyOfficeHandler.open(make_ppt("スライド PPT-MARK")) as handler:
            assert "PPT-MARK" in handler.extract_text()
            pptx = handler.clean()
        import pptx as python_pptx

        slides = python_pptx.Presentation(io.BytesIO(pptx)).slides
        assert len(slides) == 1
