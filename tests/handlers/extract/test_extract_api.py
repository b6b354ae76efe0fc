"""The extraction API: the MIME table matches what detection says for every fixture, the
report carries no content, and nothing is logged."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest

from handlers.detect import detect
from handlers.extract import (
    EXTRACTORS,
    INCOMPLETE_REASONS,
    Extraction,
    Incomplete,
    extract,
    extractor_for,
)
from tests.fixtures.imagegen import make_exif_jpeg, make_png_with_text
from tests.fixtures.mailgen import make_dirty_eml
from tests.fixtures.odfgen import make_dirty_odt, make_odp, make_ods
from tests.fixtures.officegen import (
    AUTHOR,
    MARK,
    make_dirty_docx,
    make_dirty_pptx,
    make_dirty_xlsx,
    make_docx,
)
from tests.fixtures.olegen import make_encrypted_ooxml, make_legacy_doc
from tests.fixtures.pdfgen import make_text_pdf
from tests.fixtures.rtfgen import make_dirty_rtf

FIXTURES: dict[str, Callable[[], bytes]] = {
    "docx": make_dirty_docx, "docm": lambda: make_docx(["x"], macro=True),
    "xlsx": make_dirty_xlsx, "pptx": make_dirty_pptx, "odt": make_dirty_odt,
    "ods": lambda: make_ods({"S": [["x"]]}), "odp": lambda: make_odp(["x"]),
    "rtf": make_dirty_rtf, "eml": make_dirty_eml, "pdf": lambda: make_text_pdf("x"),
    "jpeg": make_exif_jpeg, "png": make_png_with_text,
    "webp": lambda: make_exif_jpeg(image_format="WEBP"),
    "gif": lambda: make_exif_jpeg(gps=None, image_format="GIF"),
    "bmp": lambda: make_exif_jpeg(gps=None, image_format="BMP"),
    "tiff": lambda: make_exif_jpeg(image_format="TIFF"),
    "encrypted-ooxml": make_encrypted_ooxml, "doc": make_legacy_doc,
    "html": lambda: b"<html><body>x</body></html>", "csv": lambda: b"a,b\n1,2\n",
    "text": lambda: "本文".encode(), "empty": lambda: b"",
}


@pytest.mark.parametrize("kind", sorted(FIXTURES))
def test_every_fixture_type_is_registered(kind: str) -> None:
    data = FIXTURES[kind]()
    mime = detect(data).mime
    assert mime in EXTRACTORS, f"{kind}: detection says {mime}, which has no extractor"
    assert isinstance(extract(data, mime, ocr=False), Extraction)


def test_unknown_types_are_unsupported() -> None:
    from core.errors import UnsupportedContent

    for mime in ("application/x-dosexec", "application/octet-stream", "video/mp4", ""):
        with pytest.raises(UnsupportedContent):
            extractor_for(mime)


def test_declared_mime_parameters_are_ignored() -> None:
    assert extract("本文".encode(), "text/plain; charset=utf-8").text == "本文"


def test_to_dict_is_json_and_has_keys_not_values() -> None:
    extraction = extract(make_dirty_docx(), detect(make_dirty_docx()).mime)
    report = extraction.to_dict()
    serialised = json.dumps(report, ensure_ascii=False)
    assert set(report) == {"mime", "characters", "metadata_keys", "parts", "incomplete",
                           "complete"}
    metadata_keys = report["metadata_keys"]
    assert isinstance(metadata_keys, list) and "author" in metadata_keys
    for secret in [*MARK.values(), AUTHOR, *extraction.metadata.values()]:
        if len(secret) >= 8:
            assert secret not in serialised
            assert secret not in repr(extraction)


def test_incomplete_shape() -> None:
    item = Incomplete("extraction_incomplete", "password_protected", "document")
    assert item.to_dict() == {"code": "extraction_incomplete", "reason": "password_protected",
                              "part": "document"}
    assert {"password_protected", "undecodable_text", "ocr_unavailable", "unsupported_part",
            "limit_exceeded", "corrupt_part"} <= INCOMPLETE_REASONS


def test_extraction_logs_no_content(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for kind in ("docx", "pdf", "eml", "rtf", "jpeg"):
        data = FIXTURES[kind]()
        extract(data, detect(data).mime, ocr=False)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in [*MARK.values(), AUTHOR]:
        assert secret not in logged


def test_every_type_the_sanitisers_accept_can_be_extracted() -> None:
    """Issue 3: extraction for every format the sanitiser handles. A handler registered for a
    new type without an extractor would leave its files unclassified."""
    from handlers.registry import supported_mime_types

    missing = sorted(m for m in supported_mime_types() if m not in EXTRACTORS)
    assert not missing, f"no text extractor for sanitised types: {missing}"
