"""The shared contract (tests/handlers/test_contract.py) for ZipHandler, run with a member
cleaner: the shared suite opens handlers with default options, under which an archive with
members is refused by design. Same checks, same sample (samples_archive.py)."""

from __future__ import annotations

import json

import pytest

from core.errors import ContentRejected, UnsupportedContent, VerificationFailed
from handlers.archive import ZipHandler
from handlers.detect import detect
from tests.handlers.archive.support import options_with_cleaner
from tests.handlers.contract import MARKER
from tests.handlers.contract.samples_archive import ARCHIVE_SAMPLE_KWARGS
from tests.handlers.test_contract import STAMP

SAMPLE = ARCHIVE_SAMPLE_KWARGS
MIME = "application/zip"


def _bytes(kind: str) -> bytes:
    factory = SAMPLE[kind]
    assert callable(factory)
    data = factory()
    assert isinstance(data, bytes)
    return data


def _clean(data: bytes) -> tuple[bytes, ZipHandler]:
    with ZipHandler.open(data, options_with_cleaner()) as handler:
        return handler.clean(), handler


def test_samples_detect_as_zip() -> None:
    assert detect(_bytes("clean")).mime == MIME
    assert detect(_bytes("dirty")).mime == MIME


def test_inspection_is_json_and_holds_no_content() -> None:
    with ZipHandler.open(_bytes("dirty")) as handler:
        report = json.dumps(handler.inspect().to_dict(), ensure_ascii=False)
    assert MARKER not in report and json.loads(report)["mime"] == MIME


def test_dirty_sample_is_dirty_and_clean_output_verifies() -> None:
    with ZipHandler.open(_bytes("dirty"), options_with_cleaner()) as handler:
        assert handler.inspect().problems()
        cleaned = handler.clean()
        assert handler.removed and handler.output_mime() == MIME
    assert ZipHandler.verify(cleaned).problems() == []
    assert detect(cleaned).mime == MIME
    with pytest.raises(VerificationFailed):
        ZipHandler.verify(_bytes("dirty"))


def test_secrets_are_gone_and_text_kept() -> None:
    cleaned, _ = _clean(_bytes("dirty"))
    for secret in SAMPLE["secrets"]:  # type: ignore[attr-defined]
        assert secret.encode() not in cleaned
    with ZipHandler.open(cleaned) as fresh:
        assert MARKER in fresh.extract_text()


def test_clean_is_idempotent() -> None:
    once, _ = _clean(_bytes("clean"))
    assert _clean(once)[0] == once


def test_broken_input_is_refused_and_fails_verification() -> None:
    broken = SAMPLE["broken"]
    assert isinstance(broken, bytes)
    with pytest.raises((ContentRejected, UnsupportedContent)):
        ZipHandler.open(broken)
    with pytest.raises(VerificationFailed):
        ZipHandler.verify(broken)


def test_label_after_clean_and_not_before() -> None:
    cleaned, _ = _clean(_bytes("dirty"))
    labelled = ZipHandler.write_label(cleaned, STAMP)
    ZipHandler.verify(labelled)
    assert ZipHandler.read_label(labelled) == dict(STAMP.label)
    assert ZipHandler.read_label(cleaned) is None
    with pytest.raises(VerificationFailed):
        ZipHandler.write_label(_bytes("dirty"), STAMP)
