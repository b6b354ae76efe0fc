"""Writing the label back after stripping (Chiba 6.2(2) label shown in file properties,
LBL-01): only our key is written, it reads back, and verify accepts it and nothing else."""

from __future__ import annotations

import io

import pikepdf
import pytest

from core.errors import UnsupportedContent, VerificationFailed
from handlers import read_label, write_label
from handlers.base import LabelStamp
from handlers.limits import LabelTooLarge
from handlers.pdf import PdfHandler
from handlers.pdf.label import LABEL_KEY
from handlers.text import TextHandler
from tests.fixtures.pdfgen import DIRTY_AUTHOR, make_dirty_pdf

LABEL_DICT = {"confidentiality": "C2", "integrity": "I2", "availability": "A1",
              "restrictions": ["複製禁止", "持出禁止"], "profile": "saitama-police"}
LABEL = LabelStamp(LABEL_DICT, visible="機密性2（中）情報", file_prefix="【機密性2】")


def stamp(label: dict[str, object]) -> LabelStamp:
    return LabelStamp(label, visible="機密性", file_prefix="")


@pytest.fixture(scope="module")
def cleaned() -> bytes:
    with PdfHandler.open(make_dirty_pdf()) as handler:
        return handler.clean()


def test_label_round_trips(cleaned: bytes) -> None:
    labelled = write_label(cleaned, "application/pdf", LABEL)
    assert read_label(labelled, "application/pdf") == LABEL_DICT
    assert read_label(cleaned, "application/pdf") is None


def test_only_the_label_key_is_in_docinfo(cleaned: bytes) -> None:
    labelled = write_label(cleaned, "application/pdf", LABEL)
    with pikepdf.open(io.BytesIO(labelled)) as pdf:
        assert set(pdf.docinfo.keys()) == {LABEL_KEY}
        assert "複製禁止" in str(pdf.docinfo[LABEL_KEY])
        assert pdf.Root.Metadata.read_bytes().startswith(b"<?xpacket")


def test_verify_accepts_the_label(cleaned: bytes) -> None:
    labelled = write_label(cleaned, "application/pdf", LABEL)
    inspection = PdfHandler.verify(labelled)
    assert set(inspection.metadata_keys) == {LABEL_KEY, "XMP:sekisho:Classification"}
    assert inspection.removable() == {}


def test_verify_refuses_label_plus_other_metadata(cleaned: bytes) -> None:
    labelled = write_label(cleaned, "application/pdf", LABEL)
    with pikepdf.open(io.BytesIO(labelled)) as pdf:
        pdf.docinfo["/Author"] = "someone"
        out = io.BytesIO()
        pdf.save(out)
    with pytest.raises(VerificationFailed, match="metadata:/Author"):
        PdfHandler.verify(out.getvalue())


def test_relabelling_replaces_the_label(cleaned: bytes) -> None:
    first = write_label(cleaned, "application/pdf", LABEL)
    second = write_label(first, "application/pdf", stamp({"confidentiality": "C3"}))
    assert read_label(second, "application/pdf") == {"confidentiality": "C3"}


def test_labelling_an_uncleaned_file_is_refused() -> None:
    with pytest.raises(VerificationFailed) as raised:
        write_label(make_dirty_pdf(), "application/pdf", LABEL)
    assert DIRTY_AUTHOR not in raised.value.message


def test_oversized_label_is_refused(cleaned: bytes) -> None:
    with pytest.raises(LabelTooLarge):
        write_label(cleaned, "application/pdf", stamp({"note": "x" * 10_000}))


def test_text_carries_a_header_label() -> None:
    with TextHandler.open("本文です\n".encode("cp932")) as handler:
        cleaned = handler.clean()
    labelled = write_label(cleaned, "text/plain", LABEL)
    assert labelled.endswith(cleaned) and labelled != cleaned
    assert read_label(labelled, "text/plain") == dict(LABEL.label)
    assert read_label(cleaned, "text/plain") is None


def test_text_labelling_still_refuses_unclean_text() -> None:
    with pytest.raises(VerificationFailed):
        write_label("本文です\n".encode("cp932"), "text/plain", LABEL)


def test_unknown_type_cannot_be_labelled() -> None:
    with pytest.raises(UnsupportedContent):
        write_label(b"MZ", "application/x-dosexec", LABEL)
