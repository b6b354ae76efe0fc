"""One explicit table keyed by MIME type; anything else is refused, never passed through."""

from __future__ import annotations

import pytest

from core.errors import UnsupportedContent
from handlers import HANDLERS, detect, detect_content_type, handler_for
from handlers.pdf import PdfHandler
from handlers.text import TextHandler
from tests.handlers.samples import make_exe, make_png, make_zip


def test_known_types() -> None:
    assert handler_for("application/pdf") is PdfHandler
    assert handler_for("text/plain") is TextHandler
    assert handler_for("Text/Plain; charset=utf-8") is TextHandler


@pytest.mark.parametrize("mime", [
    "application/x-dosexec", "application/octet-stream", "application/x-empty", "",
    "application/zip", "image/png", "text/html", "text/csv", "application/x-sharedlib",
])
def test_unknown_types_are_refused(mime: str) -> None:
    with pytest.raises(UnsupportedContent) as raised:
        handler_for(mime)
    assert raised.value.code == "unsupported_content"
    assert raised.value.http_status == 415


@pytest.mark.parametrize("data", [make_exe(), make_png(), make_zip(), b"\x00\x01\x02" * 100, b""])
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
