"""Timing helper for the benchmark (bench/ owns the runs; nothing here is measured in tests).

Issue 4 target: report ``raster`` mode pages per second at 150 dpi, with and without OCR.
"""

from __future__ import annotations

import time

from handlers.raster import rasterise
from handlers.raster.limits import DEFAULT_DPI
from handlers.raster.render import page_count


def raster_pages_per_second(pdf: bytes, *, dpi: int = DEFAULT_DPI, ocr: bool = False) -> float:
    """Pages of ``pdf`` rasterised per second (one run; OCR includes tesseract's start-up
    per page, as production pays it)."""
    pages = page_count(pdf)
    start = time.perf_counter()
    rasterise(pdf, dpi=dpi, ocr=ocr)
    return pages / (time.perf_counter() - start)
