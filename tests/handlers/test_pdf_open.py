"""open() validates at once: corrupt, encrypted and over-limit PDFs are refused with their
own stable error codes (design: every parser has limits as named constants, each with its
own error)."""

from __future__ import annotations

import io
import logging
import re

import pikepdf
import pytest

from core.errors import ContentRejected, CorruptFile, EncryptedContent, LimitExceeded
from handlers.limits import (
    FileTooLarge,
    StructureTooComplex,
    TextTooLong,
    TooManyObjects,
    TooManyPages,
)
from handlers.pdf import PdfHandler
from handlers.pdf.textextract import extract_pdf_text
from tests.fixtures.pdfgen import make_corrupt_pdf, make_encrypted_pdf, make_text_pdf


def test_corrupt_pdf_is_refused() -> None:
    with pytest.raises(CorruptFile) as raised:
        PdfHandler.open(make_corrupt_pdf())
    assert raised.value.code == "corrupt_file"


@pytest.mark.parametrize("data", [b"", b"%PDF-", b"%PDF-1.7\n%%EOF\n", b"\x00" * 64])
def test_garbage_is_refused_as_corrupt(data: bytes) -> None:
    with pytest.raises(CorruptFile):
        PdfHandler.open(data)


def test_pdf_without_page_tree_is_refused() -> None:
    data = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
            b"trailer\n<< /Root 1 0 R /Size 2 >>\n%%EOF\n")
    with pytest.raises(CorruptFile):
        PdfHandler.open(data)


def test_encrypted_pdf_is_refused() -> None:
    with pytest.raises(EncryptedContent) as raised:
        PdfHandler.open(make_encrypted_pdf())
    assert raised.value.code == "encrypted_content"


def test_pdf_encrypted_with_empty_user_password_is_refused() -> None:
    """Opens without a password, but carries the owner's restrictions: still refused."""
    pdf = pikepdf.open(io.BytesIO(make_text_pdf("x")))
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(user="", owner="owner", R=6, aes=True))
    with pytest.raises(EncryptedContent):
        PdfHandler.open(out.getvalue())


def test_byte_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_text_pdf("x")
    monkeypatch.setattr("handlers.pdf.document.MAX_PDF_BYTES", len(data) - 1)
    with pytest.raises(FileTooLarge) as raised:
        PdfHandler.open(data)
    assert raised.value.code == "file_too_large"
    assert isinstance(raised.value, LimitExceeded)


def test_page_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("handlers.pdf.document.MAX_PDF_PAGES", 3)
    PdfHandler.open(make_text_pdf("x", pages=3)).close()
    with pytest.raises(TooManyPages) as raised:
        PdfHandler.open(make_text_pdf("x", pages=4))
    assert raised.value.code == "too_many_pages"


def test_object_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("handlers.pdf.document.MAX_PDF_OBJECTS", 5)
    with pytest.raises(TooManyObjects) as raised:
        PdfHandler.open(make_text_pdf("x", pages=3))
    assert raised.value.code == "too_many_objects"


def test_walk_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("handlers.pdf.scan.MAX_PDF_WALK_NODES", 10)
    with pytest.raises(StructureTooComplex) as raised:
        PdfHandler.open(make_text_pdf("x"))
    assert raised.value.code == "structure_too_complex"


def test_extracted_text_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("handlers.pdf.textextract.MAX_EXTRACTED_TEXT_CHARS", 10)
    with PdfHandler.open(make_text_pdf("more than ten characters")) as handler:
        with pytest.raises(TextTooLong) as raised:
            handler.extract_text()
    assert raised.value.code == "text_too_long"


def test_deeply_nested_structure_is_walked_without_recursion() -> None:
    pdf = pikepdf.open(io.BytesIO(make_text_pdf("x")))
    node = pikepdf.Dictionary()
    pdf.Root.Deep = node
    for _ in range(300):  # below qpdf's parser nesting limit, far above a naive recursion
        child = pikepdf.Dictionary()
        node.Next = pdf.make_indirect(child)
        node = child
    node.JS = pikepdf.String("hidden deep")
    out = io.BytesIO()
    pdf.save(out)
    with PdfHandler.open(out.getvalue()) as handler:
        assert handler.inspect().removable()["catalog_other"] == 1
        cleaned = handler.clean()
    assert b"hidden deep" not in cleaned


def test_shared_js_object_reachable_twice_is_removed_everywhere() -> None:
    pdf = pikepdf.open(io.BytesIO(make_text_pdf("x", pages=2)))
    script = pdf.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("s"))
    )
    for page in pdf.pages:
        page.obj.Annots = pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 1, 1], A=script))])
    out = io.BytesIO()
    pdf.save(out)
    with PdfHandler.open(out.getvalue()) as handler:
        assert handler.inspect().active_content == {"javascript": 2}
        cleaned = handler.clean()
    with PdfHandler.open(cleaned) as handler:
        assert handler.inspect().removable() == {}


def test_recovered_trailer_without_size_still_cleans() -> None:
    """Found by fuzzing: qpdf writes no /Size for a recovered trailer that lacks one and then
    cannot read its own output. The clean path must still produce a verifiable file."""
    data = make_text_pdf("復旧").replace(b"/Size", b"/Sxze")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert "/Size" not in pdf.trailer
    with PdfHandler.open(data) as handler:
        cleaned = handler.clean()
    assert PdfHandler.verify(cleaned).removable() == {}


class _RootCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_pypdf_warnings_do_not_reach_the_logs() -> None:
    """What the service's root logging configuration would receive. (pytest's caplog is no
    witness here: it attaches itself to non-propagating loggers on purpose.)"""
    data = make_text_pdf("LOGGED-CONTENT-MARKER")
    offset = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    damaged = data.replace(f"startxref\n{offset}".encode(), f"startxref\n{offset + 7}".encode())
    root, collector = logging.getLogger(), _RootCollector()
    root.addHandler(collector)
    try:
        assert "LOGGED-CONTENT-MARKER" in extract_pdf_text(damaged)  # pypdf recovers, warns
    finally:
        root.removeHandler(collector)
    assert not [r for r in collector.records if r.name.startswith("pypdf")]


def test_text_comes_from_the_repaired_structure() -> None:
    """qpdf repairs what pypdf alone cannot read; extraction follows qpdf's view."""
    damaged = make_text_pdf("修復された本文").replace(b"startxref", b"startxrex")
    with pytest.raises(CorruptFile):
        extract_pdf_text(damaged)
    with PdfHandler.open(damaged) as handler:
        assert "修復された本文" in handler.extract_text()


def test_errors_are_content_rejected_with_stable_codes() -> None:
    for error in (CorruptFile, EncryptedContent, FileTooLarge, TooManyPages, TooManyObjects,
                  StructureTooComplex, TextTooLong):
        assert issubclass(error, ContentRejected)
        assert error.http_status == 422
