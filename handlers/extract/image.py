"""Images: EXIF/XMP/text-chunk metadata with Pillow, and the picture's text through OCR.

A photo's GPS position, the camera owner's name and the author fields are personal data
(Saitama 第3 4(3) 属性情報), so they are classifier input like the OCR'd text. A scanned
page without OCR installed is reported ``ocr_unavailable``: it is never treated as "no text".
"""

from __future__ import annotations

import io
from typing import Any

from core.errors import CorruptFile
from handlers.extract.collector import Collector
from handlers.extract.exif import add_exif
from handlers.extract.limits import (
    MAX_IMAGE_BYTES,
    MAX_OCR_IMAGES,
    MAX_OCR_PIXELS,
    MIN_OCR_SIDE_PIXELS,
)
from handlers.extract.ocr import OcrFailed, OcrTimeout, ocr_available, run_ocr
from handlers.extract.result import (
    CORRUPT_PART,
    LIMIT_EXCEEDED,
    OCR_FAILED,
    OCR_UNAVAILABLE,
)
from handlers.extract.xmp import add_xmp
from handlers.limits import check_size

#: Text-chunk keys (PNG tEXt/iTXt, Pillow's info) that are metadata rather than text.
_INFO_METADATA = {"Author": "author", "Title": "title", "Software": "software",
                  "Copyright": "copyright", "Creation Time": "datetime", "Source": "source"}
_XMP_KEYS = ("xmp", "XML:com.adobe.xmp")


def extract_image(untrusted_data: bytes, out: Collector) -> None:
    check_size(untrusted_data, MAX_IMAGE_BYTES)
    image = open_image(untrusted_data)
    with image:
        add_exif(image, out)
        _info(image, out)
        frames = _frame_count(image, out) if image.format == "TIFF" else 1
        for frame in range(max(1, min(frames, MAX_OCR_IMAGES))):
            part = "ocr" if frame == 0 else f"ocr:frame{frame + 1}"
            if frame and not _seek(image, frame, out, part):
                break
            ocr_into(image, out, part)


def open_image(untrusted_data: bytes) -> Any:
    """Pillow's lazy open: reads headers only; pixels are decoded on demand."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(untrusted_data))
        _ = image.size  # header fields are parsed inside the try
        return image
    except Image.DecompressionBombError as exc:
        # Over Pillow's own pixel bound (about 179 Mpx): refused like any image bomb.
        raise CorruptFile("the image declares more pixels than can be decoded") from exc
    except Exception as exc:
        # Deliberately broad: image plugins fed hostile bytes raise anything (SyntaxError,
        # struct.error, IndexError...). Nothing could be parsed: the file is corrupt.
        raise CorruptFile(f"the image cannot be read ({type(exc).__name__})") from exc


def _frame_count(image: Any, out: Collector) -> int:
    """Pages of a multi-page TIFF (fax and scanner output); 1 if the page list is damaged."""
    try:
        return int(image.n_frames)
    except Exception:  # counting walks every IFD of a hostile file
        out.add_incomplete(CORRUPT_PART, "frames")
        return 1


def _seek(image: Any, frame: int, out: Collector, part: str) -> bool:
    try:
        image.seek(frame)
        return True
    except Exception:  # a damaged later page: the pages before it were read
        out.add_incomplete(CORRUPT_PART, part)
        return False


def _info(image: Any, out: Collector) -> None:
    """PNG text chunks, JPEG/GIF comments and XMP packets from Pillow's ``info``."""
    lines = []
    for key, value in image.info.items():
        if key in _XMP_KEYS and isinstance(value, str | bytes):
            add_xmp(value.encode("utf-8") if isinstance(value, str) else value, out)
        elif key in _INFO_METADATA and isinstance(value, str):
            out.add_metadata(_INFO_METADATA[key], value)
        elif key == "comment" and isinstance(value, bytes):
            lines.append(value.decode("utf-8", errors="replace"))
        elif isinstance(value, str) and image.format == "PNG":
            # PNG text chunks (tEXt/zTXt/iTXt) are free text; other formats' string entries
            # in ``info`` are Pillow's own decoding details (e.g. TIFF "compression").
            lines.append(f"{key}: {value}")
    out.add_text("\n".join(lines), "image_text")


def ocr_into(image: Any, out: Collector, part: str = "ocr") -> None:
    """OCR the current frame into ``out``, or record why it was not read."""
    width, height = image.size
    if min(width, height) < MIN_OCR_SIDE_PIXELS:
        return  # bullets, spacers, icons: no readable text
    if not out.context.ocr or not ocr_available():
        out.add_incomplete(OCR_UNAVAILABLE, part)
        return
    budget = out.context.budget
    budget.ocr_images += 1
    if width * height > MAX_OCR_PIXELS or budget.ocr_images > MAX_OCR_IMAGES:
        out.add_incomplete(LIMIT_EXCEEDED, part)
        return
    try:
        png = _greyscale_png(image)
    except Exception:  # truncated or damaged pixel data
        out.add_incomplete(CORRUPT_PART, part)
        return
    try:
        text = run_ocr(png)
    except OcrTimeout:
        out.add_incomplete(LIMIT_EXCEEDED, part)
        return
    except OcrFailed:
        out.add_incomplete(OCR_FAILED, part)
        return
    out.add_part(part)
    out.add_text(text, part)


def _greyscale_png(image: Any) -> bytes:
    # Greyscale PNG in memory: every format Pillow reads becomes one tesseract accepts,
    # and OCR does not need colour. compress_level=1: the bytes only cross a pipe.
    buffer = io.BytesIO()
    image.convert("L").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
