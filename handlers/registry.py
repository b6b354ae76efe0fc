"""The one table that answers "which code runs for application/pdf?".

Keys are detected MIME types (from the bytes, see handlers.detect). Anything not in the
table, executables and unknown binaries included, is refused: never passed through.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from core.errors import UnsupportedContent
from handlers.base import Handler
from handlers.detect import normalise_mime
from handlers.pdf import PdfHandler
from handlers.text import TextHandler

# text/csv is deliberately absent: CSV needs formula-injection neutralisation (a later
# handler); until then it is refused rather than passed as plain text.
HANDLERS: Mapping[str, type[Handler]] = MappingProxyType({
    "application/pdf": PdfHandler,
    "text/plain": TextHandler,
})


def handler_for(mime: str) -> type[Handler]:
    """The handler class for a detected MIME type; UnsupportedContent for anything else."""
    handler = HANDLERS.get(normalise_mime(mime))
    if handler is None:
        raise UnsupportedContent(f"no handler for {normalise_mime(mime) or 'unknown'} content")
    return handler


def supported_mime_types() -> frozenset[str]:
    return frozenset(HANDLERS)
