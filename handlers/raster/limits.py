"""Limits of raster mode, as named constants, each refusal with its own error code."""

from __future__ import annotations

from core.errors import InvalidRequest, LimitExceeded

#: Most pages rendered to images in one file (about 0.1 s each at 150 dpi).
MAX_RASTER_PAGES = 500
#: Most pages given an OCR text layer in one file (tesseract jpn: 2-10 s per page).
MAX_OCR_PAGES = 100
#: Most pixels in one rendered page (A0 at 150 dpi is 35 Mpx; A4 at 600 dpi 35 Mpx).
MAX_PAGE_PIXELS = 60_000_000
#: Most pixels in one input image (decoded before it is turned into a page). Below Pillow's
#: own bomb threshold (89.5 Mpx), whose global setting must not be changed per call.
MAX_IMAGE_PIXELS = 80_000_000
#: Most frames taken from a multi-page image (TIFF).
MAX_IMAGE_FRAMES = 100
#: Resolutions a profile may ask for.
MIN_DPI, MAX_DPI = 50, 600
DEFAULT_DPI = 150
#: JPEG quality of the page images: text stays legible at 150 dpi, files stay small.
JPEG_QUALITY = 80


class TooManyRasterPages(LimitExceeded):
    code = "too_many_raster_pages"
    default_message = "the document has more pages than raster mode renders"


class TooManyOcrPages(LimitExceeded):
    code = "too_many_ocr_pages"
    default_message = "the document has more pages than raster mode gives an OCR layer"


class RasterPageTooLarge(LimitExceeded):
    code = "raster_page_too_large"
    default_message = "a page would render to more pixels than raster mode allows"


class ImageTooLarge(LimitExceeded):
    code = "image_too_large"
    default_message = "the image has more pixels than raster mode accepts"


class InvalidResolution(InvalidRequest):
    code = "invalid_resolution"
    default_message = "the raster resolution is outside the allowed range"


def check_dpi(dpi: int) -> None:
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise InvalidResolution(f"{dpi} dpi is outside {MIN_DPI}-{MAX_DPI}")
