"""An OCR text layer with tesseract ``jpn``: one page image in, one PDF page out.

``tesseract stdin stdout -l jpn pdf`` reads the image from stdin and writes a PDF page to
stdout: the image plus the recognised text drawn invisibly (render mode 3) over it, so the
page looks like the picture and its text can be searched and classified. Nothing touches
the disk (design: no plaintext at rest). The run itself is the classifier's OCR
(handlers/extract/ocr.py).
"""

from __future__ import annotations

from handlers.extract.ocr import OcrFailed, run_tesseract


def ocr_page_pdf(jpeg: bytes) -> bytes:
    """A one-page PDF: the JPEG (sized by its recorded dpi) with an invisible text layer."""
    page = run_tesseract(jpeg, "pdf")
    if not page.startswith(b"%PDF-"):
        raise OcrFailed("tesseract wrote no PDF page")
    return page
