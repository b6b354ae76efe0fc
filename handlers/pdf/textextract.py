"""Text for the classifier: every page, annotation contents and form field values.

pikepdf (qpdf) has no text extraction. pypdf is used because it is pure Python with no
dependencies (pdfminer.six pulls in ``cryptography``, which only ``keys/`` may use) and maps
CID fonts through their /ToUnicode CMaps, which is how Japanese text in Type0/Identity-H
fonts becomes Unicode. Being pure Python it cannot corrupt memory on hostile input; any
exception it raises means the file is refused, never that text is silently missing.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

from core.errors import CorruptFile, SekishoError
from handlers.limits import (
    MAX_EXTRACTED_TEXT_CHARS,
    StreamTooLarge,
    TextTooLong,
)

# pypdf logs its parse warnings with excerpts of the raw file, which can be confidential
# content or attacker-chosen text: none of it may reach the service's logs.
_PYPDF_LOGGER = logging.getLogger("pypdf")
_PYPDF_LOGGER.propagate = False
_PYPDF_LOGGER.addHandler(logging.NullHandler())


def extract_pdf_text(untrusted_data: bytes) -> str:
    """All visible and form text of a PDF, joined by newlines."""
    # Imported here: pypdf costs ~0.2 s to import and only classification needs it.
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    try:
        reader = PdfReader(io.BytesIO(untrusted_data), strict=False)
        return _join_bounded(_texts(reader))
    except SekishoError:
        raise
    except LimitReachedError as exc:
        raise StreamTooLarge("a stream decompresses beyond the extractor's limit") from exc
    except Exception as exc:
        # Deliberately broad: a pure-Python parser fed hostile input can raise anything
        # (KeyError, RecursionError...). Fail closed: refuse rather than classify partial text.
        raise CorruptFile(f"text could not be extracted ({type(exc).__name__})") from exc


def _texts(reader: Any) -> Iterator[str]:
    for page in reader.pages:
        yield page.extract_text() or ""
        yield from _annotation_texts(page)
    yield from _field_values(reader)


def _annotation_texts(page: Any) -> Iterator[str]:
    annotations = page.get("/Annots")
    if annotations is None:
        return
    for reference in annotations.get_object():
        annotation = reference.get_object()
        contents = annotation.get("/Contents") if hasattr(annotation, "get") else None
        if _is_text(contents):
            yield str(contents)


def _field_values(reader: Any) -> Iterator[str]:
    for field in (reader.get_fields() or {}).values():
        value = field.get("/V")
        values = value if isinstance(value, list) else [value]
        yield from (str(v) for v in values if _is_text(v))


def _is_text(value: object) -> bool:
    # pypdf's NameObject subclasses str (a checkbox's /Yes): names are not text.
    from pypdf.generic import NameObject

    return isinstance(value, str) and not isinstance(value, NameObject) and bool(value)


def _join_bounded(parts: Iterator[str]) -> str:
    collected: list[str] = []
    total = 0
    for part in parts:
        total += len(part) + 1
        if total > MAX_EXTRACTED_TEXT_CHARS:
            raise TextTooLong(f"more than {MAX_EXTRACTED_TEXT_CHARS} characters of text")
        collected.append(part)
    return "\n".join(collected)
