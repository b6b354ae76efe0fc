"""Images: EXIF (GPS, people, camera), PNG text, and OCR of the picture's text."""

from __future__ import annotations

import pytest

from core.errors import CorruptFile
from handlers.extract import extract
from handlers.extract import ocr as ocr_module
from tests.fixtures.imagegen import (
    EXIF_ARTIST,
    EXIF_DESCRIPTION,
    EXIF_OWNER,
    EXIF_XP_AUTHOR,
    PNG_TEXT_MARK,
    make_exif_jpeg,
    make_png_with_text,
    make_text_image,
)
from tests.handlers.extract.support import (
    assert_report_is_clean,
    extract_detected,
    reasons,
    requires_japanese_font,
    requires_ocr,
)


@pytest.mark.parametrize("image_format", ["JPEG", "WEBP"])
def test_exif_gps_and_people(image_format: str) -> None:
    extraction = extract_detected(make_exif_jpeg(image_format=image_format))
    metadata = extraction.metadata
    assert metadata["gps"] == "35.681236,139.767125"
    assert metadata["artist"] == EXIF_ARTIST
    assert metadata["author"] == EXIF_XP_AUTHOR  # XPAuthor, UTF-16LE
    assert metadata["camera_owner"] == EXIF_OWNER
    assert metadata["camera_make"] == "FixtureCam" and metadata["camera_model"] == "Model-X"
    assert metadata["datetime_original"] == "2024:04:01 09:00:00"
    assert EXIF_DESCRIPTION in extraction.text
    assert "exif" in extraction.parts
    assert_report_is_clean(extraction, [EXIF_DESCRIPTION, "35.681236"])


def test_southern_western_positions_are_negative() -> None:
    metadata = extract_detected(make_exif_jpeg(gps=(-33.8688, -70.25))).metadata
    assert metadata["gps"] == "-33.8688,-70.25"


def test_no_gps_no_key() -> None:
    assert "gps" not in extract_detected(make_exif_jpeg(gps=None)).metadata


def test_png_text_chunks() -> None:
    extraction = extract_detected(make_png_with_text())
    assert PNG_TEXT_MARK in extraction.text
    assert extraction.metadata["author"] == "PNG-AUTHOR 木村"


def test_tiny_images_are_not_reported_unread() -> None:
    extraction = extract_detected(make_exif_jpeg(size=(16, 16)), ocr=False)
    assert extraction.complete


@requires_japanese_font
def test_without_ocr_a_picture_is_reported_unread() -> None:
    extraction = extract_detected(make_text_image(["取扱注意"]), ocr=False)
    assert ("ocr_unavailable", "ocr") in reasons(extraction)


@requires_japanese_font
def test_missing_tesseract_is_ocr_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr_module, "tesseract_languages", lambda: frozenset({"eng"}))
    extraction = extract_detected(make_text_image(["取扱注意"]))
    assert ("ocr_unavailable", "ocr") in reasons(extraction)


def test_corrupt_image_is_corrupt_file() -> None:
    with pytest.raises(CorruptFile):
        extract(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png")


@requires_ocr
@requires_japanese_font
@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "TIFF"])
def test_ocr_reads_japanese(image_format: str) -> None:
    data = make_text_image(["機密性２ 取扱注意", "電話 03-1234-5678"], image_format=image_format)
    extraction = extract_detected(data)
    assert "取扱注意" in extraction.text
    assert "03-1234-5678" in extraction.text
    assert "ocr" in extraction.parts and extraction.complete


@requires_ocr
@requires_japanese_font
def test_ocr_timeout_is_a_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr_module, "OCR_TIMEOUT_SECONDS", 0.001)
    extraction = extract_detected(make_text_image(["取扱注意"]))
    assert ("limit_exceeded", "ocr") in reasons(extraction)
