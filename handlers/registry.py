"""The one table that answers "which code runs for application/pdf?".

Keys are detected MIME types (from the bytes, see handlers.detect). Anything not in the
table, executables and unknown binaries included, is refused: never passed through.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from types import MappingProxyType

from core.errors import EncryptedContent, UnsupportedContent
from handlers.archive import ZipHandler
from handlers.base import Handler
from handlers.convert import LegacyOfficeHandler
from handlers.detect import normalise_mime
from handlers.image import IMAGE_HANDLERS
from handlers.mail import MailHandler
from handlers.odf import ODF_HANDLERS
from handlers.ooxml import ExcelHandler, PowerPointHandler, WordHandler
from handlers.pdf import PdfHandler
from handlers.text import TextHandler
from handlers.textual import CsvHandler, HtmlHandler

#: Every handler class; each takes the MIME types it declares.
HANDLER_CLASSES: tuple[type[Handler], ...] = (
    PdfHandler, TextHandler, CsvHandler, HtmlHandler, MailHandler, ZipHandler,
    WordHandler, ExcelHandler, PowerPointHandler, LegacyOfficeHandler,
    *ODF_HANDLERS, *IMAGE_HANDLERS,
)
#: libmagic's name for an OLE file holding an encrypted OOXML package (password-protected
#: docx/xlsx/pptx): it cannot be inspected, so it gets its own refusal (issue 4).
ENCRYPTED_OOXML = "application/encrypted"
#: Names under which plain text is a table: libmagic calls a CSV ``text/csv`` only when it
#: is short ASCII without a BOM, so a Japanese CSV arrives as text/plain; its cells still
#: need formula neutralisation.
CSV_SUFFIXES = frozenset({".csv", ".tsv"})


def _table(classes: tuple[type[Handler], ...]) -> Mapping[str, type[Handler]]:
    table: dict[str, type[Handler]] = {}
    for handler in classes:
        for mime in handler.mime_types:
            if mime in table:
                raise RuntimeError(f"{mime} is claimed by {table[mime].__name__} and "
                                   f"{handler.__name__}")
            table[normalise_mime(mime)] = handler
    return MappingProxyType(table)


HANDLERS: Mapping[str, type[Handler]] = _table(HANDLER_CLASSES)


def handler_for(mime: str, filename: str | None = None) -> type[Handler]:
    """The handler class for a detected MIME type; UnsupportedContent for anything else."""
    mime = normalise_mime(mime)
    if mime == ENCRYPTED_OOXML:
        raise EncryptedContent("the Office file is password-protected and cannot be inspected")
    if mime == "text/plain" and filename and PurePath(filename).suffix.lower() in CSV_SUFFIXES:
        return CsvHandler
    handler = HANDLERS.get(mime)
    if handler is None:
        raise UnsupportedContent(f"no handler for {mime or 'unknown'} content")
    return handler


def supported_mime_types() -> frozenset[str]:
    return frozenset(HANDLERS)
