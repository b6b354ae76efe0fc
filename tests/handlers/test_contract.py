"""The shared contract every handler passes (design: "Every handler passes one shared
contract test suite"). Samples live in tests/handlers/contract/samples_*.py; a handler added
to the registry without a sample fails ``test_every_registered_type_has_a_sample``."""

from __future__ import annotations

import json

import pytest

from core.errors import ContentRejected, UnsupportedContent, VerificationFailed
from handlers import HANDLERS, detect
from handlers.base import Handler, LabelStamp
from handlers.extract import ocr_available
from tests.handlers.contract import MARKER, Sample, all_samples

SAMPLES = all_samples()
MIMES = sorted(SAMPLES)
STAMP = LabelStamp(label={"confidentiality": "C2", "restrictions": ["no_copy"]},
                   visible="機密性2（中）情報　取扱制限：複製禁止", file_prefix="【機密性2】")


def test_every_registered_type_has_a_sample() -> None:
    missing = sorted(set(HANDLERS) - set(SAMPLES))
    assert not missing, f"registered without a contract sample: {missing}"
    for mime, handler in HANDLERS.items():
        assert SAMPLES[mime].handler is handler, mime


def _sample(mime: str) -> Sample:
    return SAMPLES[mime]


def _clean(sample: Sample, data: bytes) -> tuple[bytes, Handler]:
    with sample.handler.open(data, sample.options) as handler:
        cleaned = handler.clean()
    return cleaned, handler


def _verifier(sample: Sample, data: bytes) -> type[Handler]:
    with sample.handler.open(data, sample.options) as handler:
        return handler.output_verifier()


@pytest.mark.parametrize("mime", MIMES)
def test_samples_detect_as_their_type(mime: str) -> None:
    assert detect(_sample(mime).clean()).mime == mime
    assert detect(_sample(mime).dirty()).mime == mime


@pytest.mark.parametrize("mime", MIMES)
def test_inspection_is_json_and_holds_no_content(mime: str) -> None:
    with _sample(mime).handler.open(_sample(mime).dirty()) as handler:
        report = json.dumps(handler.inspect().to_dict(), ensure_ascii=False)
    assert MARKER not in report
    assert json.loads(report)["mime"] == mime


@pytest.mark.parametrize("mime", MIMES)
def test_dirty_sample_is_dirty_and_clean_output_verifies(mime: str) -> None:
    sample = _sample(mime)
    with sample.handler.open(sample.dirty(), sample.options) as handler:
        assert handler.inspect().problems()
        cleaned = handler.clean()
        assert handler.removed
        assert handler.output_mime() == (sample.output_mime or mime)
        verifier = handler.output_verifier()
    assert verifier.verify(cleaned).problems() == []
    assert detect(cleaned).mime == (sample.output_mime or mime)
    if verifier is sample.handler:
        with pytest.raises(VerificationFailed):
            sample.handler.verify(sample.dirty())


@pytest.mark.parametrize("mime", MIMES)
def test_secrets_of_the_dirty_sample_are_gone(mime: str) -> None:
    sample = _sample(mime)
    cleaned, _ = _clean(sample, sample.dirty())
    for secret in sample.secrets:
        assert secret.encode() not in cleaned, secret
        assert secret.encode("utf-16-le") not in cleaned, secret


@pytest.mark.parametrize("mime", MIMES)
def test_cleaning_keeps_the_text(mime: str) -> None:
    sample = _sample(mime)
    if sample.text_by_ocr and not ocr_available():
        pytest.skip("the sample's text is in its pixels: OCR needs tesseract with jpn")
    cleaned, handler = _clean(sample, sample.dirty())
    with handler.output_verifier().open(cleaned) as fresh:
        assert MARKER in fresh.extract_text()


@pytest.mark.parametrize("mime", MIMES)
def test_clean_is_idempotent(mime: str) -> None:
    sample = _sample(mime)
    once, handler = _clean(sample, sample.clean())
    with handler.output_verifier().open(once, sample.options) as again:
        assert again.clean() == once


@pytest.mark.parametrize("mime", MIMES)
def test_broken_input_is_refused_at_open(mime: str) -> None:
    with pytest.raises((ContentRejected, UnsupportedContent)):
        _sample(mime).handler.open(_sample(mime).broken)


@pytest.mark.parametrize("mime", MIMES)
def test_verify_turns_unparseable_output_into_verification_failed(mime: str) -> None:
    with pytest.raises(VerificationFailed):
        _verifier(_sample(mime), _sample(mime).clean()).verify(_sample(mime).broken)


@pytest.mark.parametrize("mime", MIMES)
def test_label_after_clean(mime: str) -> None:
    sample = _sample(mime)
    cleaned, handler = _clean(sample, sample.dirty())
    verifier = handler.output_verifier()
    labelled = verifier.write_label(cleaned, STAMP)
    verifier.verify(labelled)
    expected = dict(STAMP.label) if sample.labels else None
    assert verifier.read_label(labelled) == expected
    assert verifier.read_label(cleaned) is None


@pytest.mark.parametrize("mime", MIMES)
def test_labelling_unclean_input_is_refused(mime: str) -> None:
    sample = _sample(mime)
    verifier = _verifier(sample, sample.clean())
    if verifier is not sample.handler:
        pytest.skip("a converting handler's input is never labelled directly")
    with pytest.raises(VerificationFailed):
        verifier.write_label(sample.dirty(), STAMP)
