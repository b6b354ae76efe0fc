"""PDF: every page's text, annotations and form fields (pypdf), DocInfo and XMP metadata
(pikepdf), and OCR of pages that are only pictures (scans).

Like ``PdfHandler.extract_text``, pypdf reads qpdf's rewrite of the input, not the raw bytes,
so the classifier sees the structure the sanitiser rebuilds the released file from. Unlike
it, a page that fails is one incomplete part, not a refused file: the other pages are still
classified.

Encryption: a PDF with only an owner password opens for anyone (that is what an empty user
password means), so it is read and named ``encryption_without_user_password``. A user
password we do not have gives ``password_protected`` and no text.
"""

from __future__ import annotations

import io
import logging
import zlib
from typing import Any

import pikepdf

from core.errors import CorruptFile, EncryptedContent
from handlers.extract.collector import Collector
from handlers.extract.limits import MAX_OCR_IMAGES, MAX_PDF_IMAGE_BYTES
from handlers.extract.ocr import ocr_available
from handlers.extract.result import (
    CORRUPT_PART,
    LIMIT_EXCEEDED,
    OCR_UNAVAILABLE,
    PASSWORD_PROTECTED,
)
from handlers.extract.xmp import add_xmp
from handlers.pdf.document import open_pdf, pdf_errors, save_pdf

# pypdf logs parse warnings quoting the raw file: keep them out of the service's logs (a
# NullHandler, so that logging's last-resort stderr handler does not print them either).
_PYPDF_LOGGER = logging.getLogger("pypdf")
_PYPDF_LOGGER.propagate = False
_PYPDF_LOGGER.addHandler(logging.NullHandler())

#: DocInfo key -> metadata key. Other string entries are read as text ("custom_properties").
DOCINFO_KEYS = {"/Author": "author", "/Creator": "creator_tool", "/Producer": "producer",
                "/Title": "title", "/Subject": "subject", "/Keywords": "keywords",
                "/Company": "company", "/Manager": "manager"}
_DATES = frozenset({"/CreationDate", "/ModDate"})
#: Largest XMP packet inflated (the packet is usually a few KB).
_MAX_XMP_BYTES = 4 * 1024 * 1024


def extract_pdf(untrusted_data: bytes, out: Collector) -> None:
    pdf = _open(untrusted_data, out)
    if pdf is None:
        return
    with pdf:
        with pdf_errors("inspected"):
            _docinfo(pdf, out)
            packet = _xmp_packet(pdf)
        rewritten = save_pdf(pdf)
    if packet:
        add_xmp(packet, out)
    _pages(rewritten, out)


def _open(untrusted_data: bytes, out: Collector) -> pikepdf.Pdf | None:
    try:
        return open_pdf(untrusted_data)
    except EncryptedContent:
        pass
    try:
        with pdf_errors("decrypted"), pikepdf.open(io.BytesIO(untrusted_data)) as encrypted:
            # Opens only with the empty user password; saving writes it unencrypted.
            plain = save_pdf(encrypted)
    except EncryptedContent:
        out.add_incomplete(PASSWORD_PROTECTED, "document")
        return None
    out.add_part("encryption_without_user_password")
    return open_pdf(plain)


def _docinfo(pdf: pikepdf.Pdf, out: Collector) -> None:
    info = pdf.trailer.get("/Info")
    if not isinstance(info, pikepdf.Dictionary):
        return
    out.add_part("docinfo")
    custom = []
    for key in info.keys():
        value = info.get(key)
        if not isinstance(value, pikepdf.String):
            continue
        if key in DOCINFO_KEYS:
            out.add_metadata(DOCINFO_KEYS[key], str(value))
        elif key not in _DATES:
            custom.append(f"{key.lstrip('/')}: {value}")
    out.add_text("\n".join(custom), "custom_properties")


def _xmp_packet(pdf: pikepdf.Pdf) -> bytes | None:
    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, pikepdf.Stream):
        return None
    raw = stream.read_raw_bytes()
    filters = stream.get("/Filter")
    if filters is None:
        return raw[:_MAX_XMP_BYTES]
    if filters == pikepdf.Name.FlateDecode:
        # Inflate with an output bound: the packet is never worth more than a few MB.
        try:
            return zlib.decompressobj().decompress(raw, _MAX_XMP_BYTES)
        except zlib.error:
            return None
    return None


def _pages(rewritten: bytes, out: Collector) -> None:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(rewritten), strict=False)
        pages = list(reader.pages)
    except Exception as exc:
        # qpdf parsed and rewrote the file, so this is pypdf failing on its structure.
        raise CorruptFile(f"the PDF page tree cannot be read ({type(exc).__name__})") from exc
    for number, page in enumerate(pages, start=1):
        text = _page_text(page, number, out)
        out.add_text(text, "pages")
        out.add_text("\n".join(_annotations(page, number, out)), "annotations")
        if not text.strip():
            _scanned_page(page, number, out)
    out.add_text("\n".join(_fields(reader, out)), "form_fields")


def _page_text(page: Any, number: int, out: Collector) -> str:
    from pypdf.errors import LimitReachedError

    try:
        return str(page.extract_text() or "")
    except LimitReachedError:
        out.add_incomplete(LIMIT_EXCEEDED, f"page:{number}")
    except Exception:  # pypdf on hostile content raises anything; this page is unread
        out.add_incomplete(CORRUPT_PART, f"page:{number}")
    return ""


def _annotations(page: Any, number: int, out: Collector) -> list[str]:
    try:
        annotations = page.get("/Annots")
        objects = [] if annotations is None else [a.get_object() for a in annotations.get_object()]
        return [str(c) for a in objects if hasattr(a, "get") and _is_text(c := a.get("/Contents"))]
    except Exception:
        out.add_incomplete(CORRUPT_PART, f"page:{number}/annotations")
        return []


def _fields(reader: Any, out: Collector) -> list[str]:
    try:
        fields = (reader.get_fields() or {}).values()
        values = [f.get("/V") for f in fields]
    except Exception:
        out.add_incomplete(CORRUPT_PART, "form_fields")
        return []
    flat = [v for value in values for v in (value if isinstance(value, list) else [value])]
    return [str(v) for v in flat if _is_text(v)]


def _is_text(value: object) -> bool:
    # pypdf's NameObject subclasses str (a checkbox's /Yes): names are not text.
    from pypdf.generic import NameObject

    return isinstance(value, str) and not isinstance(value, NameObject) and bool(value)


def _scanned_page(page: Any, number: int, out: Collector) -> None:
    """A page without text but with pictures is a scan: OCR its pictures."""
    try:
        images = list(page.images)
    except Exception:
        out.add_incomplete(CORRUPT_PART, f"page:{number}/images")
        return
    if not images:
        return
    if not out.context.ocr or not ocr_available():
        out.add_incomplete(OCR_UNAVAILABLE, "scanned_pages")
        return
    for position, image in enumerate(images, start=1):
        if out.context.budget.ocr_images >= MAX_OCR_IMAGES:
            out.add_incomplete(LIMIT_EXCEEDED, "scanned_pages")
            return
        try:
            data = image.data
        except Exception:
            out.add_incomplete(CORRUPT_PART, f"page:{number}/image[{position}]")
            continue
        if len(data) > MAX_PDF_IMAGE_BYTES:
            out.add_incomplete(LIMIT_EXCEEDED, f"page:{number}/image[{position}]")
            continue
        out.add_embedded(data, f"page:{number}/image[{position}]")
