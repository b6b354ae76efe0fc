"""PDF: pages, annotations, form fields, DocInfo/XMP, encryption, scans."""

from __future__ import annotations

import io

import pikepdf
import pytest

from core.errors import CorruptFile
from handlers.extract import extract
from tests.fixtures.pdfgen import XMP_MARKER, make_corrupt_pdf, make_encrypted_pdf, make_text_pdf
from tests.handlers.extract.support import (
    assert_report_is_clean,
    extract_detected,
    reasons,
    requires_japanese_font,
    requires_ocr,
)

METADATA = {"Author": "PDF著者 PDF-AUTHOR-1f2e", "Creator": "Microsoft Word",
            "Producer": "PDF-PRODUCER", "Title": "PDF題名", "Subject": "件名",
            "Keywords": "秘", "Department": "CUSTOM-DOCINFO-MARK"}


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return make_text_pdf("本文 PDF-BODY-MARK\n二行目", pages=3, metadata=METADATA, xmp=True,
                         annotation_text="ANNOTATION-MARK", field_value="FIELD-MARK")


def test_pages_annotations_fields(pdf: bytes) -> None:
    extraction = extract_detected(pdf)
    assert extraction.text.count("PDF-BODY-MARK") == 3
    assert "ANNOTATION-MARK" in extraction.text and "FIELD-MARK" in extraction.text
    assert {"pages", "annotations", "form_fields", "docinfo", "xmp"} <= set(extraction.parts)
    assert extraction.complete


def test_docinfo_and_xmp_metadata(pdf: bytes) -> None:
    extraction = extract_detected(pdf)
    metadata = extraction.metadata
    assert METADATA["Author"] in metadata["author"]
    assert XMP_MARKER in metadata["author"]  # dc:creator from the XMP packet, kept alongside
    assert metadata["creator_tool"] == "Microsoft Word"
    assert metadata["producer"] == "PDF-PRODUCER" and metadata["title"] == "PDF題名"
    assert "CUSTOM-DOCINFO-MARK" in extraction.text  # unknown DocInfo keys are text
    assert_report_is_clean(extraction, ["PDF-BODY-MARK", "ANNOTATION-MARK", METADATA["Author"]])


def test_user_password_gives_password_protected_and_no_text() -> None:
    extraction = extract_detected(make_encrypted_pdf())
    assert extraction.text == ""
    assert reasons(extraction) == {("password_protected", "document")}


def test_owner_password_only_is_read(pdf: bytes) -> None:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        document.save(out, encryption=pikepdf.Encryption(user="", owner="owner", R=6))
    extraction = extract_detected(out.getvalue())
    assert "PDF-BODY-MARK" in extraction.text
    assert "encryption_without_user_password" in extraction.parts
    assert extraction.complete


def test_corrupt_pdf_is_corrupt_file() -> None:
    with pytest.raises(CorruptFile):
        extract(make_corrupt_pdf(), "application/pdf")


@requires_japanese_font
def test_scanned_pdf_without_ocr_is_incomplete() -> None:
    from tests.fixtures.scangen import make_scanned_pdf

    extraction = extract_detected(make_scanned_pdf([["取扱注意"]]), ocr=False)
    assert ("ocr_unavailable", "scanned_pages") in reasons(extraction)


@requires_ocr
@requires_japanese_font
def test_scanned_pdf_is_ocrd() -> None:
    from tests.fixtures.scangen import make_scanned_pdf

    extraction = extract_detected(make_scanned_pdf([["取扱注意 SCAN"], ["電話 03-1234-5678"]]))
    assert "取扱注意" in extraction.text and "03-1234-5678" in extraction.text
    assert "page:2/image[1]:image/jpeg" in extraction.parts
    assert extraction.complete
