"""``extract(untrusted_data, mime)``: the one table that answers "which extractor reads
application/pdf for the classifier?", and the dispatcher nested content goes through.

Keys are detected MIME types (``handlers.detect``: from the bytes, never the name). What is
not in the table is refused with UnsupportedContent (executables, unknown binaries), except
``text/*`` types libmagic invents for ordinary text (it calls some Japanese prose
``text/x-Algol68``): text is decoded as text, which reads it without running anything.

``extract`` never raises for content problems of a readable container: what could not be
read is listed in ``Extraction.incomplete``. It raises CorruptFile when nothing at all can
be parsed, and a LimitExceeded subclass for input that is hostile as a whole (a
decompression bomb, more text than the classifier accepts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from core.errors import UnsupportedContent
from handlers.detect import normalise_mime
from handlers.extract.collector import Collector, Context
from handlers.extract.containers import extract_zip_container
from handlers.extract.html import extract_html
from handlers.extract.image import extract_image
from handlers.extract.mail import extract_mail
from handlers.extract.ole import extract_ole
from handlers.extract.pdf import extract_pdf
from handlers.extract.plaintext import extract_nothing, extract_plain_text
from handlers.extract.result import Extraction
from handlers.extract.rtf import extract_rtf

Extractor = Callable[[bytes, Collector], None]

_OOXML = "application/vnd.openxmlformats-officedocument."
_ZIP_DOCUMENTS = (
    "application/zip",
    _OOXML + "wordprocessingml.document", _OOXML + "wordprocessingml.template",
    _OOXML + "spreadsheetml.sheet", _OOXML + "spreadsheetml.template",
    _OOXML + "presentationml.presentation", _OOXML + "presentationml.slideshow",
    _OOXML + "presentationml.template",
    "application/vnd.ms-word.document.macroenabled.12",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-powerpoint.presentation.macroenabled.12",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/epub+zip",
)
_OLE = (
    "application/x-ole-storage", "application/msword", "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint", "application/vnd.ms-outlook", "application/encrypted",
)
_TEXT = (
    "text/plain", "text/csv", "text/tab-separated-values", "text/markdown",
    "application/json", "application/xml", "image/svg+xml",
)
_IMAGES = (
    "image/jpeg", "image/png", "image/gif", "image/tiff", "image/webp", "image/bmp",
    "image/x-ms-bmp",
)

EXTRACTORS: Mapping[str, Extractor] = MappingProxyType({
    "application/pdf": extract_pdf,
    "text/rtf": extract_rtf,
    "application/rtf": extract_rtf,
    "text/html": extract_html,
    "application/xhtml+xml": extract_html,
    "message/rfc822": extract_mail,
    "application/x-empty": extract_nothing,
    "inode/x-empty": extract_nothing,
    **dict.fromkeys(_ZIP_DOCUMENTS, extract_zip_container),
    **dict.fromkeys(_OLE, extract_ole),
    **dict.fromkeys(_TEXT, extract_plain_text),
    **dict.fromkeys(_IMAGES, extract_image),
})


def extractor_for(mime: str) -> Extractor:
    """The extractor for a detected MIME type; UnsupportedContent for anything else."""
    normalised = normalise_mime(mime)
    extractor = EXTRACTORS.get(normalised)
    if extractor is None and normalised.startswith("text/"):
        extractor = extract_plain_text
    if extractor is None:
        raise UnsupportedContent(f"no text extractor for {normalised or 'unknown'} content")
    return extractor


def extract(untrusted_data: bytes, mime: str, *, ocr: bool = True) -> Extraction:
    """All readable text and metadata of a file whose type ``handlers.detect`` detected.

    ``ocr=False`` skips tesseract (pictures are then reported ``ocr_unavailable``).
    """
    return _extract_at(untrusted_data, mime, Context(ocr=ocr, recurse=_extract_at))


def _extract_at(untrusted_data: bytes, mime: str, context: Context) -> Extraction:
    normalised = normalise_mime(mime)
    extractor = extractor_for(normalised)
    out = Collector(normalised, context)
    extractor(untrusted_data, out)
    return out.result()


def supported_mime_types() -> frozenset[str]:
    return frozenset(EXTRACTORS)
