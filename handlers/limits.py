"""Parser limits for every handler, as named constants, each with its own error.

Values derived from an upload are hostile until validated (design: "Every parser has limits
... as named constants, each with its own error"). Each limit error subclasses
``core.errors.LimitExceeded`` (HTTP 422) and carries its own stable ``code`` so that a client
can tell *which* limit refused the file without parsing the message.
"""

from __future__ import annotations

from core.errors import LimitExceeded

#: Largest PDF a handler parses. Larger uploads are refused before pikepdf sees them.
MAX_PDF_BYTES = 200 * 1024 * 1024
#: Most pages in one PDF.
MAX_PDF_PAGES = 5_000
#: Most indirect objects in one PDF (checked on the xref /Size first, then on the parse).
MAX_PDF_OBJECTS = 500_000
#: Most container nodes (dictionaries, arrays, array items) the hazard walk visits.
MAX_PDF_WALK_NODES = 3_000_000
#: Largest plain-text file a handler decodes.
MAX_TEXT_BYTES = 32 * 1024 * 1024
#: Most characters of text handed to the classifier from one file. Truncating would hide
#: content from the classifier and under-classify, so exceeding it refuses the file instead.
MAX_EXTRACTED_TEXT_CHARS = 10_000_000
#: Largest serialised label written into a file's properties.
MAX_LABEL_CHARS = 8_192


class FileTooLarge(LimitExceeded):
    code = "file_too_large"
    default_message = "the file is larger than this handler accepts"


class TooManyPages(LimitExceeded):
    code = "too_many_pages"
    default_message = "the document has more pages than this handler accepts"


class TooManyObjects(LimitExceeded):
    code = "too_many_objects"
    default_message = "the document has more objects than this handler accepts"


class StructureTooComplex(LimitExceeded):
    code = "structure_too_complex"
    default_message = "the document structure is larger than this handler walks"


class StreamTooLarge(LimitExceeded):
    """A compressed stream expands beyond the extractor's bound (pypdf's own per-stream
    limits, 75 MB by default): a decompression bomb or an unreasonable page."""

    code = "stream_too_large"
    default_message = "a compressed stream expands beyond the processing limit"


class TextTooLong(LimitExceeded):
    code = "text_too_long"
    default_message = "the extracted text is longer than the classifier accepts"


class LabelTooLarge(LimitExceeded):
    code = "label_too_large"
    default_message = "the label is too large to embed"


def check_size(untrusted_data: bytes, limit: int) -> None:
    """Refuse input over ``limit`` bytes before any parser touches it."""
    if len(untrusted_data) > limit:
        raise FileTooLarge(f"{len(untrusted_data)} bytes exceeds the limit of {limit}")


class NestingTooDeep(LimitExceeded):
    """Containers inside containers (a ZIP in a mail in a ZIP ...) beyond the limit."""

    code = "nesting_too_deep"
    default_message = "containers are nested deeper than allowed"
