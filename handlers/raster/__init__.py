"""Raster mode (issue 4): pages rendered to images and rebuilt as a PDF, optionally with an
OCR text layer (tesseract ``jpn``).

Only pixels survive: scripts, links, fonts, metadata, form fields, hidden text and layers
are all gone, because nothing but the rendered image of each page is written. With
``ocr=True`` tesseract adds the recognised text invisibly over each image, so the result
can still be searched and classified. The output still goes through PdfHandler cleaning
(tesseract names itself in DocInfo), done by the caller like for every other PDF.
"""

from __future__ import annotations

import io
from contextlib import ExitStack

import pikepdf
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import CorruptFile
from handlers.raster import build
from handlers.raster.limits import (
    DEFAULT_DPI,
    MAX_IMAGE_FRAMES,
    MAX_IMAGE_PIXELS,
    MAX_OCR_PAGES,
    ImageTooLarge,
    TooManyOcrPages,
    check_dpi,
)
from handlers.raster.ocr import ocr_page_pdf
from handlers.raster.render import page_count, render_pages

__all__ = ["image_to_pdf", "rasterise"]


def rasterise(pdf: bytes, *, dpi: int = DEFAULT_DPI, ocr: bool = False) -> bytes:
    """A new PDF whose every page is the image of the corresponding input page."""
    check_dpi(dpi)
    if ocr and page_count(pdf) > MAX_OCR_PAGES:
        raise TooManyOcrPages(f"more than {MAX_OCR_PAGES} pages for OCR")
    with pikepdf.new() as out, ExitStack() as keep_open:
        for page in render_pages(pdf, dpi):
            jpeg = build.encode_jpeg(page.image, dpi)
            if ocr:
                source = keep_open.enter_context(build.open_page_pdf(ocr_page_pdf(jpeg)))
                build.append_pdf_page(out, source)
            else:
                build.add_image_page(out, jpeg, page.image.size,
                                     (page.width_pt, page.height_pt))
            page.image.close()
        return build.save(out)


def image_to_pdf(image: bytes, *, dpi: int = DEFAULT_DPI) -> bytes:
    """A PDF with one page per frame of an image (JPEG, PNG, GIF, TIFF, WebP, BMP), the
    pixels re-encoded with the EXIF orientation applied, printed at ``dpi``."""
    check_dpi(dpi)
    try:
        with Image.open(io.BytesIO(image)) as picture, pikepdf.new() as out:
            frames = getattr(picture, "n_frames", 1) if picture.format == "TIFF" else 1
            if frames > MAX_IMAGE_FRAMES:
                raise ImageTooLarge(f"more than {MAX_IMAGE_FRAMES} frames")
            for frame in range(frames):
                picture.seek(frame)
                _add_frame(out, picture, dpi)
            return build.save(out)
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge("the image is a decompression bomb") from exc
    except (UnidentifiedImageError, OSError, ValueError, EOFError) as exc:
        raise CorruptFile(f"the image could not be decoded ({type(exc).__name__})") from exc


def _add_frame(out: pikepdf.Pdf, picture: Image.Image, dpi: int) -> None:
    width, height = picture.size
    if width * height > MAX_IMAGE_PIXELS:  # checked from the header, before decoding
        raise ImageTooLarge(f"{width}x{height} pixels")
    upright = ImageOps.exif_transpose(picture).convert("RGB")
    jpeg = build.encode_jpeg(upright, dpi)
    size = upright.size
    build.add_image_page(out, jpeg, size, (size[0] * 72 / dpi, size[1] * 72 / dpi))
