"""Building the raster PDF: one JPEG image per page, nothing else (Dangerzone's idea: only
pixels survive), or tesseract's page with an invisible OCR text layer over the image."""

from __future__ import annotations

import io

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, Stream
from PIL import Image

from core.errors import CorruptFile
from handlers.raster.limits import JPEG_QUALITY


def encode_jpeg(image: Image.Image, dpi: int) -> bytes:
    """Baseline JPEG with the resolution recorded (tesseract sizes its page from it)."""
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY, dpi=(dpi, dpi), optimize=False)
    return out.getvalue()


def add_image_page(pdf: Pdf, jpeg: bytes, size: tuple[int, int], page_pt: tuple[float, float]
                   ) -> None:
    """Append a page of ``page_pt`` points showing the JPEG scaled to the whole page."""
    width_px, height_px = size
    width_pt, height_pt = page_pt
    image = Stream(pdf, jpeg, Type=Name.XObject, Subtype=Name.Image, Width=width_px,
                   Height=height_px, ColorSpace=Name.DeviceRGB, BitsPerComponent=8,
                   Filter=Name.DCTDecode)
    content = f"q {width_pt:.3f} 0 0 {height_pt:.3f} 0 0 cm /Im0 Do Q\n".encode()
    page = Dictionary(
        Type=Name.Page, MediaBox=Array([0, 0, width_pt, height_pt]),
        Resources=Dictionary(XObject=Dictionary(Im0=pdf.make_indirect(image))),
        Contents=pdf.make_indirect(Stream(pdf, content)),
    )
    pdf.pages.append(pikepdf.Page(page))


def append_pdf_page(pdf: Pdf, source: Pdf) -> None:
    """Append the single page of a PDF tesseract wrote (image + invisible text). qpdf copies
    the page's streams lazily: ``source`` must stay open until ``pdf`` is saved."""
    if len(source.pages) != 1:
        raise CorruptFile("the OCR engine did not return one page")
    pdf.pages.append(source.pages[0])


def open_page_pdf(page_pdf: bytes) -> Pdf:
    try:
        return Pdf.open(io.BytesIO(page_pdf))
    except pikepdf.PdfError as exc:
        raise CorruptFile("the OCR engine returned an unreadable page") from exc


def save(pdf: Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()
