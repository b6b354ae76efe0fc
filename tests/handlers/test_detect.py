"""Content type comes from the bytes; mismatches and polyglots are findings, never silently
corrected (design, security invariants)."""

from __future__ import annotations

import json

import pytest

from handlers.detect import detect, mime_from_name, normalise_mime
from handlers.findings import CONTENT_TYPE_MISMATCH, EMPTY_FILE, FINDING_CODES, POLYGLOT
from tests.fixtures.pdfgen import (
    make_corrupt_pdf,
    make_pdf_with_appended_zip,
    make_pdf_with_offset_header,
    make_text_pdf,
)
from tests.handlers.samples import make_exe, make_png, make_zip


def reasons(detection, code: str) -> set[str]:
    return {f.reason for f in detection.findings if f.code == code}


def test_pdf_named_pdf_is_clean() -> None:
    detection = detect(make_text_pdf("x"), "report.pdf", "application/pdf")
    assert detection.mime == "application/pdf"
    assert detection.extension_mime == "application/pdf"
    assert detection.findings == ()


def test_type_comes_from_bytes_not_name() -> None:
    detection = detect(make_png(), "report.pdf")
    assert detection.mime == "image/png"
    assert detection.extension_mime == "application/pdf"
    assert reasons(detection, CONTENT_TYPE_MISMATCH) == {"extension"}


def test_executable_named_pdf_is_a_mismatch() -> None:
    detection = detect(make_exe(), "invoice.PDF")
    assert detection.mime == "application/x-dosexec"
    assert detection.has(CONTENT_TYPE_MISMATCH)


def test_html_named_txt_is_a_mismatch() -> None:
    detection = detect(b"<html><body><script>x()</script></body></html>", "notes.txt")
    assert detection.mime == "text/html"
    assert detection.has(CONTENT_TYPE_MISMATCH)


@pytest.mark.parametrize(("data", "name"), [
    (b"a,b,c\n1,2,3\n4,5,6\n", "data.txt"),           # text/csv bytes under .txt
    ("氏名,住所\n山田,東京\n".encode("cp932"), "data.csv"),  # text/plain bytes under .csv
    (b"plain words only\n", "page.html"),             # plain text is harmless as .html
    (b"plain words only\n", "server.log"),
    (make_zip(), "letter.docx"),                      # OOXML that libmagic only sees as zip
    (make_zip(), "archive.ZIP"),
])
def test_equivalent_types_are_not_mismatches(data: bytes, name: str) -> None:
    assert not detect(data, name).has(CONTENT_TYPE_MISMATCH)


def test_unknown_extension_or_no_name_is_not_compared() -> None:
    assert detect(make_png(), "image.unknownext").findings == ()
    assert detect(make_png(), "README").findings == ()
    assert detect(make_png()).findings == ()


def test_declared_type_mismatch() -> None:
    detection = detect(make_text_pdf("x"), "a.pdf", "image/png")
    assert reasons(detection, CONTENT_TYPE_MISMATCH) == {"declared"}


@pytest.mark.parametrize("declared", ["application/octet-stream", "application/pdf; charset=binary",
                                      "APPLICATION/PDF", "application/x-pdf"])
def test_generic_or_equivalent_declared_type_is_accepted(declared: str) -> None:
    assert detect(make_text_pdf("x"), "a.pdf", declared).findings == ()


def test_empty_file() -> None:
    detection = detect(b"", "empty.txt")
    assert [f.code for f in detection.findings] == [EMPTY_FILE]
    assert detection.mime == "application/x-empty"


def test_pdf_with_appended_zip_is_a_polyglot() -> None:
    detection = detect(make_pdf_with_appended_zip(), "a.pdf")
    assert detection.mime == "application/pdf"  # libmagic alone would not notice
    assert reasons(detection, POLYGLOT) == {"embedded_zip", "data_after_eof"}


def test_pdf_with_other_trailing_data_is_a_polyglot() -> None:
    detection = detect(make_text_pdf("x") + b"#!/bin/sh\necho hidden\n", "a.pdf")
    assert reasons(detection, POLYGLOT) == {"data_after_eof"}


def test_trailing_whitespace_after_eof_is_fine() -> None:
    assert detect(make_text_pdf("x") + b"\r\n\x00\x00 \n", "a.pdf").findings == ()


def test_png_with_appended_zip_is_a_polyglot() -> None:
    detection = detect(make_png() + make_zip(), "photo.png")
    assert reasons(detection, POLYGLOT) == {"embedded_zip"}


def test_pdf_header_at_offset_is_suspicious() -> None:
    detection = detect(make_pdf_with_offset_header(1000), "a.pdf")
    assert detection.mime == "application/octet-stream"
    assert "pdf_header_offset" in reasons(detection, POLYGLOT)
    assert detection.has(CONTENT_TYPE_MISMATCH)


def test_pdf_header_beyond_window_is_not_flagged() -> None:
    detection = detect(make_pdf_with_offset_header(5000))
    assert "pdf_header_offset" not in reasons(detection, POLYGLOT)


def test_corrupt_pdf_still_detects_as_pdf() -> None:
    assert detect(make_corrupt_pdf(), "a.pdf").mime == "application/pdf"


def test_findings_never_contain_content() -> None:
    secret = b"SECRET-CONTENT-4471 " * 50
    detection = detect(secret, "a.pdf", "image/png")
    serialised = json.dumps(detection.to_dict())
    assert detection.findings
    assert "SECRET-CONTENT" not in serialised
    assert {f.code for f in detection.findings} <= FINDING_CODES


def test_name_and_mime_helpers() -> None:
    assert mime_from_name("報告書.PDF") == "application/pdf"
    assert mime_from_name("data.csv") == "text/csv"
    assert mime_from_name("config.xml") == "application/xml"
    assert mime_from_name("noext") is None
    assert normalise_mime("Text/XML; charset=utf-8") == "application/xml"
