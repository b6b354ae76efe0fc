"""An OCR text layer with tesseract ``jpn``: one page image in, one PDF page out.

``tesseract stdin stdout -l jpn pdf`` reads the image from stdin and writes a PDF page to
stdout: the image plus the recognised text drawn invisibly (render mode 3) over it, so the
page looks like the picture and its text can be searched and classified. Nothing touches
the disk (design: no plaintext at rest). The environment and the availability check are
those of the classifier's OCR (handlers/extract/ocr.py).
"""

from __future__ import annotations

import shutil
import subprocess

from handlers.extract.limits import OCR_TIMEOUT_SECONDS
from handlers.extract.ocr import (
    OcrFailed,
    OcrTimeout,
    _environment,
    ocr_available,
    tesseract_languages,
)


def ocr_page_pdf(jpeg: bytes) -> bytes:
    """A one-page PDF: the JPEG (sized by its recorded dpi) with an invisible text layer."""
    binary = shutil.which("tesseract")
    if binary is None or not ocr_available():
        raise OcrFailed("tesseract with the jpn model is not installed")
    languages = "jpn+eng" if "eng" in tesseract_languages() else "jpn"
    try:
        result = subprocess.run(
            [binary, "stdin", "stdout", "-l", languages, "--psm", "3", "pdf"],
            input=jpeg, capture_output=True, timeout=OCR_TIMEOUT_SECONDS,
            env=_environment(), check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrTimeout(f"OCR ran longer than {OCR_TIMEOUT_SECONDS} s") from exc
    except OSError as exc:
        raise OcrFailed(f"tesseract could not be started ({type(exc).__name__})") from exc
    if result.returncode != 0 or not result.stdout.startswith(b"%PDF-"):
        raise OcrFailed(f"tesseract exited with status {result.returncode}")
    return result.stdout
