"""One explicit table keyed by MIME type; anything else is refused, never passed through."""

from __future__ import annotations

import pytest

from core.errors import EncryptedContent, UnsupportedContent
from handlers import HANDLERS, detect, detect_content_type, handler_for
from handlers.archive import ZipHandler
from handlers.image import PngHandler
from handlers.ooxml import WordHandler
from handlers.pdf import PdfHandler
from handlers.text import TextHandler
from handlers.textual import CsvHandler, HtmlHandler
from tests.handlers.samples import make_exe


def test_known_types() -> None:
    assert handler_for("application/pdf") is PdfHandler
    assert handler_for("text/plain") is TextHandler
    assert handler_for("Text/Plain; charset=utf-8") is TextHandler
    assert handler_for("application/zip") is ZipHandler
    assert handler_for("image/png") is PngHandler
    assert handler_for("text/html") is HtmlHandler
    assert handler_for("application/vnd.ms-word.document.macroEnabled.12") is WordHandler


def test_csv_named_text_goes_to_the_csv_handler() -> None:
    """libmagic calls a Japanese or BOM-prefixed CSV text/plain; its formula cells still
    need neutralising."""
    assert handler_for("text/csv") is CsvHandler
    assert handler_for("text/plain", "名簿.CSV") is CsvHandler
    assert handler_for("text/plain", "memo.txt") is TextHandler


def test_password_protected_office_files_are_refused_as_encrypted() -> None:
    with pytest.raises(EncryptedContent):
        handler_for("application/encrypted")


@pytest.mark.parametrize("mime", [
    "application/x-dosexec", "application/octet-stream", "application/x-empty", "",
    "application/x-sharedlib", "application/x-7z-compressed", "application/x-rar",
    "application/vnd.ms-outlook", "application/x-js-taro",
])
def test_unknown_types_are_refused(mime: str) -> None:
    with pytest.raises(UnsupportedContent) as raised:
        handler_for(mime)
    assert raised.value.code == "unsupported_content"
    assert raised.value.http_status == 415


@pytest.mark.parametrize("data", [make_exe(), b"\x00\x01\x02" * 100, b""])
def test_detected_unsupported_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(UnsupportedContent):
        handler_for(detect(data, "innocent.txt").mime)


def test_registry_is_read_only_and_consistent() -> None:
    with pytest.raises(TypeError):
        HANDLERS["application/x-dosexec"] = PdfHandler  # type: ignore[index]
    for mime, handler in HANDLERS.items():
        assert mime in handler.mime_types


def test_public_alias_for_the_service() -> None:
    assert detect_content_type is detect
