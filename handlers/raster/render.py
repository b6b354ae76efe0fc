"""Rendering PDF pages to images in memory with PDFium (pypdfium2).

PDFium here is built without V8: no JavaScript can run while a page renders, and form
fields are drawn from their appearance streams only. The document stays in memory (no
file is written). Every page's pixel count is checked before it is rendered, so a page
declaring a huge MediaBox is refused instead of allocating gigabytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image

from core.errors import CorruptFile, EncryptedContent
from handlers.raster.limits import (
    MAX_PAGE_PIXELS,
    MAX_RASTER_PAGES,
    RasterPageTooLarge,
    TooManyRasterPages,
)

_POINTS_PER_INCH = 72.0
#: PDFium's error code for a missing or wrong password (FPDF_ERR_PASSWORD).
_ERR_PASSWORD = 4


@dataclass(frozen=True)
class RenderedPage:
    image: Image.Image
    #: Page size in points, as displayed (rotation applied).
    width_pt: float
    height_pt: float


@contextmanager
def open_document(untrusted_pdf: bytes) -> Iterator[pdfium.PdfDocument]:
    try:
        document = pdfium.PdfDocument(untrusted_pdf)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == _ERR_PASSWORD:
            raise EncryptedContent("the PDF is encrypted") from exc
        raise CorruptFile("PDFium could not open the PDF") from exc
    try:
        yield document
    finally:
        document.close()


def page_count(untrusted_pdf: bytes) -> int:
    with open_document(untrusted_pdf) as document:
        return len(document)


def render_pages(untrusted_pdf: bytes, dpi: int) -> Iterator[RenderedPage]:
    """Each page as an RGB image at ``dpi``, one at a time (the caller encodes and drops
    it before the next is rendered)."""
    scale = dpi / _POINTS_PER_INCH
    with open_document(untrusted_pdf) as document:
        if len(document) > MAX_RASTER_PAGES:
            raise TooManyRasterPages(f"more than {MAX_RASTER_PAGES} pages")
        for index in range(len(document)):
            page = document[index]
            try:
                yield _render(page, scale)
            finally:
                page.close()


def _render(page: pdfium.PdfPage, scale: float) -> RenderedPage:
    width, height = page.get_size()  # rotation already applied by PDFium
    pixels = (width * scale) * (height * scale)
    if not pixels > 0:
        raise CorruptFile("a page has no area")
    if pixels > MAX_PAGE_PIXELS:
        raise RasterPageTooLarge(f"a page would render to {int(pixels)} pixels")
    try:
        bitmap = page.render(scale=scale, may_draw_forms=True)
        image = bitmap.to_pil().convert("RGB")
    except pdfium.PdfiumError as exc:
        raise CorruptFile("PDFium could not render a page") from exc
    return RenderedPage(image, float(width), float(height))
