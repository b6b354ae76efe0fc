"""Harmless conversion through LibreOffice (issue 4, modes ``pdf`` and ``structural``).

``to_pdf`` turns an Office/ODF/RTF/legacy document into PDF for the ``pdf`` mode;
``to_ooxml`` turns RTF and legacy .doc/.xls/.ppt, which we cannot rebuild ourselves, into
DOCX/XLSX/PPTX for the ``structural`` mode. Neither output is clean yet: LibreOffice copies
the author and other properties into what it writes, so the caller always cleans the output
with the target format's handler (metadata stripped after converting, never only before).
``LegacyOfficeHandler`` wraps ``to_ooxml`` in the handler contract.
"""

from __future__ import annotations

from handlers.convert.filters import PDF, PDF_FILTER_DATA, convertible_mime_types, import_filter
from handlers.convert.office import (
    ConversionFailed,
    ConversionTimeout,
    ConvertRequest,
    OfficeConverter,
    converter_available,
    shared_converter,
)

__all__ = [
    "ConversionFailed",
    "ConversionTimeout",
    "LegacyOfficeHandler",
    "OfficeConverter",
    "converter_available",
    "convertible_mime_types",
    "to_ooxml",
    "to_pdf",
]


def to_pdf(untrusted_data: bytes, mime: str, *, converter: OfficeConverter | None = None
           ) -> bytes:
    """The document rendered as PDF by LibreOffice (not yet cleaned)."""
    filter_name, family = import_filter(mime)
    request = ConvertRequest(filter_name, family.pdf_export, dict(PDF_FILTER_DATA))
    output = (converter or shared_converter()).convert(untrusted_data, request)
    if not output.startswith(b"%PDF-"):
        raise ConversionFailed("LibreOffice produced no PDF")
    return output


def to_ooxml(untrusted_data: bytes, mime: str, *, converter: OfficeConverter | None = None
             ) -> tuple[bytes, str]:
    """The document saved as DOCX, XLSX or PPTX by LibreOffice (not yet cleaned), and the
    MIME type of what was written."""
    filter_name, family = import_filter(mime)
    request = ConvertRequest(filter_name, family.ooxml_export)
    output = (converter or shared_converter()).convert(untrusted_data, request)
    if not output.startswith(b"PK\x03\x04"):
        raise ConversionFailed("LibreOffice produced no OOXML package")
    return output, family.ooxml_mime


#: Re-exported for callers that check before offering the ``pdf`` mode.
PDF_MIME = PDF

# Last: the handler module imports this package's functions lazily.
from handlers.convert.legacy import LegacyOfficeHandler  # noqa: E402
