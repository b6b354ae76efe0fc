"""The shared contract every registered handler passes (design: "Every handler passes one
shared contract test suite"). A handler added to the registry without a sample here fails
``test_every_registered_type_has_a_sample``."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from core.errors import ContentRejected, UnsupportedContent, VerificationFailed
from handlers import HANDLERS, Handler, detect, handler_for, read_label, write_label
from tests.fixtures.pdfgen import make_corrupt_pdf, make_dirty_pdf, make_text_pdf

MARKER = "CONTRACT-MARKER-2c9d"


@dataclass(frozen=True)
class Sample:
    clean: Callable[[], bytes]        # a plain file that yields MARKER as text
    dirty: Callable[[], bytes]        # a file with something on the removal list
    broken: bytes                     # refused at open
    labels: bool                      # whether the format carries our label


SAMPLES: dict[str, Sample] = {
    "application/pdf": Sample(
        clean=lambda: make_text_pdf(f"{MARKER} 本文"),
        dirty=lambda: make_dirty_pdf(f"{MARKER} 本文", author=f"{MARKER}-author"),
        broken=make_corrupt_pdf(),
        labels=True,
    ),
    "text/plain": Sample(
        clean=lambda: f"{MARKER} 本文\n".encode(),
        dirty=lambda: f"{MARKER} 本文\u202e\n".encode("utf-8-sig"),
        broken=b"\xff\xfd\xfc\x80\x81" * 10,
        labels=False,
    ),
}
MIMES = sorted(HANDLERS)


def test_every_registered_type_has_a_sample() -> None:
    assert set(SAMPLES) == set(HANDLERS)


def _handler(mime: str) -> type[Handler]:
    return handler_for(mime)


@pytest.mark.parametrize("mime", MIMES)
def test_samples_detect_as_their_type(mime: str) -> None:
    assert detect(SAMPLES[mime].clean()).mime == mime
    assert detect(SAMPLES[mime].dirty()).mime == mime


@pytest.mark.parametrize("mime", MIMES)
def test_inspection_is_json_and_holds_no_content(mime: str) -> None:
    with _handler(mime).open(SAMPLES[mime].dirty()) as handler:
        report = json.dumps(handler.inspect().to_dict(), ensure_ascii=False)
    assert MARKER not in report
    assert json.loads(report)["mime"] == mime


@pytest.mark.parametrize("mime", MIMES)
def test_dirty_sample_is_dirty_and_clean_output_verifies(mime: str) -> None:
    handler_class = _handler(mime)
    with handler_class.open(SAMPLES[mime].dirty()) as handler:
        assert handler.inspect().problems()
        cleaned = handler.clean()
        assert handler.removed
    inspection = handler_class.verify(cleaned)
    assert inspection.problems() == []
    with pytest.raises(VerificationFailed):
        handler_class.verify(SAMPLES[mime].dirty())


@pytest.mark.parametrize("mime", MIMES)
def test_cleaning_keeps_the_text(mime: str) -> None:
    handler_class = _handler(mime)
    with handler_class.open(SAMPLES[mime].dirty()) as handler:
        cleaned = handler.clean()
    with handler_class.open(cleaned) as fresh:
        assert MARKER in fresh.extract_text()


@pytest.mark.parametrize("mime", MIMES)
def test_clean_is_idempotent(mime: str) -> None:
    handler_class = _handler(mime)
    with handler_class.open(SAMPLES[mime].clean()) as handler:
        once = handler.clean()
    with handler_class.open(once) as handler:
        assert handler.clean() == once


@pytest.mark.parametrize("mime", MIMES)
def test_broken_input_is_refused_at_open(mime: str) -> None:
    with pytest.raises((ContentRejected, UnsupportedContent)):
        _handler(mime).open(SAMPLES[mime].broken)


@pytest.mark.parametrize("mime", MIMES)
def test_verify_turns_unparseable_output_into_verification_failed(mime: str) -> None:
    with pytest.raises(VerificationFailed):
        _handler(mime).verify(SAMPLES[mime].broken)


@pytest.mark.parametrize("mime", MIMES)
def test_label_after_clean(mime: str) -> None:
    with _handler(mime).open(SAMPLES[mime].dirty()) as handler:
        cleaned = handler.clean()
    label = {"confidentiality": "C2", "restrictions": ["複製禁止"]}
    labelled = write_label(cleaned, mime, label)
    _handler(mime).verify(labelled)
    expected = label if SAMPLES[mime].labels else None
    assert read_label(labelled, mime) == expected
