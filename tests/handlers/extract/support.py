"""Shared helpers for the extraction tests."""

from __future__ import annotations

import json

import pytest

from handlers.detect import detect
from handlers.extract import Extraction, extract, ocr_available
from tests.fixtures.imagegen import japanese_font

requires_ocr = pytest.mark.skipif(
    not ocr_available(),
    reason="tesseract with the jpn model is not installed "
    "(apt-get install tesseract-ocr tesseract-ocr-jpn)",
)
requires_japanese_font = pytest.mark.skipif(
    japanese_font() is None,
    reason="no Japanese font to render OCR fixtures (apt-get install fonts-ipafont-gothic)",
)


def extract_detected(data: bytes, *, ocr: bool = True) -> Extraction:
    """What the pipeline does: detect the type from the bytes, then extract."""
    return extract(data, detect(data).mime, ocr=ocr)


def reasons(extraction: Extraction) -> set[tuple[str, str | None]]:
    return {(item.reason, item.part) for item in extraction.incomplete}


def assert_report_is_clean(extraction: Extraction, secrets: list[str]) -> None:
    """to_dict() and repr() carry none of the text or metadata values."""
    report = json.dumps(extraction.to_dict(), ensure_ascii=False)
    shown = repr(extraction)
    # Values of a few characters ("Editor") can occur in part names by chance.
    values = [value for value in extraction.metadata.values() if len(value) >= 8]
    for secret in secrets + values:
        assert secret not in report, "a content or metadata value leaked into to_dict()"
        assert secret not in shown, "a content or metadata value leaked into repr()"
