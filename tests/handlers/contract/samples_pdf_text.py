"""Contract samples: PDF and plain text."""

from __future__ import annotations

from handlers.pdf import PdfHandler
from handlers.text import TextHandler
from tests.fixtures.pdfgen import make_corrupt_pdf, make_dirty_pdf, make_text_pdf
from tests.handlers.contract import MARKER, Sample

SAMPLES = {
    "application/pdf": Sample(
        handler=PdfHandler,
        clean=lambda: make_text_pdf(f"{MARKER} 本文"),
        dirty=lambda: make_dirty_pdf(f"{MARKER} 本文", author=f"{MARKER}-author"),
        broken=make_corrupt_pdf(),
        labels=True,
        secrets=(f"{MARKER}-author",),
    ),
    "text/plain": Sample(
        handler=TextHandler,
        clean=lambda: f"{MARKER} 本文\n".encode(),
        dirty=lambda: f"{MARKER} 本文\u202e\n".encode("utf-8-sig"),
        broken=b"\xff\xfd\xfc\x80\x81" * 10,
        labels=True,
    ),
}
