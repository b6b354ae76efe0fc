"""Which LibreOffice filters read and write which detected MIME types.

An allow-list, pinned per type: LibreOffice is never asked to guess what a file is (its type
detection would happily open a file we detected as one thing with a filter for another).
A type missing here is not converted (UnsupportedContent).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import UnsupportedContent
from handlers.detect import normalise_mime

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
PDF = "application/pdf"

RTF_TYPES = frozenset({"text/rtf", "application/rtf"})
LEGACY_WORD = "application/msword"
LEGACY_EXCEL = "application/vnd.ms-excel"
LEGACY_POWERPOINT = "application/vnd.ms-powerpoint"
#: Formats we cannot rebuild ourselves: converted to OOXML in ``structural`` mode.
LEGACY_TYPES = RTF_TYPES | {LEGACY_WORD, LEGACY_EXCEL, LEGACY_POWERPOINT}


@dataclass(frozen=True)
class Family:
    """The LibreOffice application that handles a document, and its export filters."""

    pdf_export: str
    ooxml_export: str
    ooxml_mime: str


WRITER = Family("writer_pdf_Export", "MS Word 2007 XML", DOCX)
CALC = Family("calc_pdf_Export", "Calc MS Excel 2007 XML", XLSX)
IMPRESS = Family("impress_pdf_Export", "Impress MS PowerPoint 2007 XML", PPTX)

#: Detected MIME type -> (import filter, family).
IMPORT_FILTERS: dict[str, tuple[str, Family]] = {
    DOCX: ("MS Word 2007 XML", WRITER),
    "application/vnd.ms-word.document.macroenabled.12": ("MS Word 2007 XML VBA", WRITER),
    XLSX: ("Calc MS Excel 2007 XML", CALC),
    "application/vnd.ms-excel.sheet.macroenabled.12": ("Calc MS Excel 2007 VBA XML", CALC),
    PPTX: ("Impress MS PowerPoint 2007 XML", IMPRESS),
    "application/vnd.ms-powerpoint.presentation.macroenabled.12": (
        "Impress MS PowerPoint 2007 XML VBA", IMPRESS),
    "application/vnd.oasis.opendocument.text": ("writer8", WRITER),
    "application/vnd.oasis.opendocument.spreadsheet": ("calc8", CALC),
    "application/vnd.oasis.opendocument.presentation": ("impress8", IMPRESS),
    "text/rtf": ("Rich Text Format", WRITER),
    "application/rtf": ("Rich Text Format", WRITER),
    LEGACY_WORD: ("MS Word 97", WRITER),
    LEGACY_EXCEL: ("MS Excel 97", CALC),
    LEGACY_POWERPOINT: ("MS PowerPoint 97", IMPRESS),
}

#: PDF export options (FilterData). No form fields (they would carry actions), no comments
#: or notes pages (hidden content), no hidden slides, links kept as plain URIs that the PDF
#: cleaner then judges by profile.
PDF_FILTER_DATA: dict[str, bool | int] = {
    "ExportFormFields": False,
    "ExportNotes": False,
    "ExportNotesPages": False,
    "ExportHiddenSlides": False,
    "ExportBookmarks": True,
    "UseTaggedPDF": False,
    "EmbedStandardFonts": True,
    "SelectPdfVersion": 0,
}


def import_filter(mime: str) -> tuple[str, Family]:
    """The pinned import filter for a detected type; UnsupportedContent for others."""
    found = IMPORT_FILTERS.get(normalise_mime(mime))
    if found is None:
        raise UnsupportedContent(f"LibreOffice conversion is not allowed for {mime or 'unknown'}")
    return found


def convertible_mime_types() -> frozenset[str]:
    return frozenset(IMPORT_FILTERS)
