"""Opening and saving PDFs with pikepdf: error mapping, limits and safe save options."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import pikepdf
from pikepdf import Dictionary, Pdf

from core.errors import CorruptFile, EncryptedContent
from handlers.limits import (
    MAX_PDF_BYTES,
    MAX_PDF_OBJECTS,
    MAX_PDF_PAGES,
    TooManyObjects,
    TooManyPages,
    check_size,
)

PDF_MIME = "application/pdf"
_SIZE = pikepdf.Name("/Size")

#: What a hostile or damaged file can make qpdf raise besides its own errors.
_PARSER_ERRORS = (pikepdf.PikepdfError, RuntimeError, ValueError, OverflowError, TypeError)


@contextmanager
def pdf_errors(action: str) -> Iterator[None]:
    """Map parser failures to CorruptFile, without echoing parser text (it may quote input)."""
    try:
        yield
    except pikepdf.PasswordError as exc:
        raise EncryptedContent() from exc
    except _PARSER_ERRORS as exc:
        raise CorruptFile(f"the PDF could not be {action} ({type(exc).__name__})") from exc


def open_pdf(untrusted_data: bytes) -> Pdf:
    """Parse and validate a PDF held in memory; the caller closes the result."""
    check_size(untrusted_data, MAX_PDF_BYTES)
    with pdf_errors("parsed"):
        # Explicit conversion: every value read is a pikepdf object, so a hostile file that
        # puts a number where a dictionary belongs fails an isinstance check, not our code.
        pdf = pikepdf.open(io.BytesIO(untrusted_data), conversion_mode="explicit")
    try:
        with pdf_errors("parsed"):
            _validate(pdf)
    except BaseException:
        pdf.close()
        raise
    return pdf


def _validate(pdf: Pdf) -> None:
    if pdf.is_encrypted:
        # Even with an empty user password: rewriting it would either drop the author's
        # restrictions silently or keep an encryption we cannot inspect through. Refuse.
        raise EncryptedContent("the PDF is encrypted")
    if not isinstance(pdf.Root, Dictionary) or not isinstance(pdf.Root.get("/Pages"), Dictionary):
        raise CorruptFile("the PDF has no page tree")
    declared = pdf.trailer.get("/Size")
    if isinstance(declared, pikepdf.Integer) and int(declared) > MAX_PDF_OBJECTS:
        raise TooManyObjects(f"the cross-reference table declares more than {MAX_PDF_OBJECTS}")
    if len(pdf.objects) > MAX_PDF_OBJECTS:
        raise TooManyObjects(f"more than {MAX_PDF_OBJECTS} objects")
    if len(pdf.pages) > MAX_PDF_PAGES:
        raise TooManyPages(f"more than {MAX_PDF_PAGES} pages")


def save_pdf(pdf: Pdf) -> bytes:
    """Write a complete new file (never an incremental update) into memory."""
    buffer = io.BytesIO()
    with pdf_errors("written"):
        if _SIZE not in pdf.trailer:
            # A trailer rebuilt by recovery can lack /Size; qpdf then writes an xref stream
            # without it, which qpdf itself cannot read back. It rewrites the value we set.
            pdf.trailer[_SIZE] = 0
        pdf.save(
            buffer,
            # Streams are copied as they are: nothing is decompressed, so a compression bomb
            # in a content stream costs no memory here.
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            # A content-derived /ID: same input, same output; no time or randomness in it.
            deterministic_id=True,
            # Neither may write XMP back into a file we just stripped.
            fix_metadata_version=False,
            preserve_pdfa=False,
        )
    return buffer.getvalue()
