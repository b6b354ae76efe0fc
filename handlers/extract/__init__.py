"""Text and metadata extraction for the classifier, for every format the sanitisers handle.

``extract(untrusted_data, mime, *, ocr=True) -> Extraction``; see handlers/extract/api.py for
the MIME table and handlers/extract/result.py for what an Extraction holds (and what its
report may and may not carry).
"""

from handlers.extract.api import EXTRACTORS, extract, extractor_for, supported_mime_types
from handlers.extract.ocr import ocr_available
from handlers.extract.result import (
    CORRUPT_PART,
    EXTRACTION_INCOMPLETE,
    INCOMPLETE_REASONS,
    LIMIT_EXCEEDED,
    OCR_FAILED,
    OCR_UNAVAILABLE,
    PASSWORD_PROTECTED,
    UNDECODABLE_TEXT,
    UNSUPPORTED_PART,
    Extraction,
    Incomplete,
)

__all__ = [
    "CORRUPT_PART",
    "EXTRACTION_INCOMPLETE",
    "EXTRACTORS",
    "INCOMPLETE_REASONS",
    "LIMIT_EXCEEDED",
    "OCR_FAILED",
    "OCR_UNAVAILABLE",
    "PASSWORD_PROTECTED",
    "UNDECODABLE_TEXT",
    "UNSUPPORTED_PART",
    "Extraction",
    "Incomplete",
    "extract",
    "extractor_for",
    "ocr_available",
    "supported_mime_types",
]
