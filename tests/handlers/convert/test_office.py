"""The warm LibreOffice converter: conversions, reuse, restart, timeouts, private files."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator

import pikepdf
import pytest

from core.errors import ConverterUnavailable, UnsupportedContent
from handlers.convert import OfficeConverter, office, to_ooxml, to_pdf
from handlers.convert.office import ConversionFailed, ConversionTimeout
from handlers.pdf import PdfHandler
from tests.fixtures.officegen import AUTHOR, make_dirty_docx, make_docx
from tests.fixtures.rtfgen import make_dirty_rtf
from tests.handlers.convert.support import DOCX, needs_libreoffice

pytestmark = needs_libreoffice


@pytest.fixture(scope="module")
def converter() -> Iterator[OfficeConverter]:
    warm = OfficeConverter()
    yield warm
    warm.close()


def _pdf_text(data: bytes) -> str:
    with PdfHandler.open(data) as handler:
        return handler.extract_text()


def test_docx_becomes_a_pdf_that_cleans(converter: OfficeConverter) -> None:
    pdf = to_pdf(make_docx(["変換テスト CONVERT-MARK"], author=AUTHOR), DOCX,
                 converter=converter)
    assert "CONVERT-MARK" in _pdf_text(pdf)
    with PdfHandler.open(pdf) as handler:
        # LibreOffice copies the author into the PDF: cleaning after converting is required.
        assert handler.inspect().metadata_keys
        cleaned = handler.clean()
    assert AUTHOR.encode("utf-16-be") not in cleaned and AUTHOR.encode() not in cleaned
    assert PdfHandler.verify(cleaned).problems() == []


def test_a_document_with_comments_converts(converter: OfficeConverter) -> None:
    """LibreOffice 7.4 aborts on commented documents loaded from a UNO worker thread; the
    bridge runs every conversion on soffice's main loop instead."""
    assert "本文" in _pdf_text(to_pdf(make_dirty_docx(), DOCX, converter=converter))


def test_the_process_stays_warm(converter: OfficeConverter) -> None:
    to_pdf(make_docx(["一"]), DOCX, converter=converter)
    pid = converter.pid
    to_pdf(make_docx(["二"]), DOCX, converter=converter)
    assert converter.pid == pid is not None


def test_rtf_becomes_docx(converter: OfficeConverter) -> None:
    data, mime = to_ooxml(make_dirty_rtf(), "text/rtf", converter=converter)
    assert mime == DOCX and data.startswith(b"PK")
    import docx

    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert "RTF-BODY-MARK-01aa" in text


def test_garbage_is_refused_as_corrupt(converter: OfficeConverter) -> None:
    with pytest.raises(ConversionFailed):
        to_pdf(b"PK\x03\x04 not really a docx" * 10, DOCX, converter=converter)
    # ... and the converter is still usable afterwards
    assert to_pdf(make_docx(["後"]), DOCX, converter=converter).startswith(b"%PDF-")


def test_types_outside_the_allow_list_are_not_converted(converter: OfficeConverter) -> None:
    with pytest.raises(UnsupportedContent):
        to_pdf(b"MZ\x90\x00", "application/x-dosexec", converter=converter)


def test_a_killed_converter_is_restarted(converter: OfficeConverter) -> None:
    to_pdf(make_docx(["前"]), DOCX, converter=converter)
    pid = converter.pid
    assert pid is not None
    os.killpg(pid, 9)  # the bridge leads its own group, soffice included
    try:
        to_pdf(make_docx(["途中"]), DOCX, converter=converter)
    except ConversionFailed:
        pass  # the request that found it dead may fail; the next one must not
    assert to_pdf(make_docx(["再起動"]), DOCX, converter=converter).startswith(b"%PDF-")
    assert converter.pid not in (None, pid)


def test_a_hung_conversion_times_out_and_the_next_one_works() -> None:
    slow = OfficeConverter(timeout=0.001)
    try:
        with pytest.raises(ConversionTimeout):
            to_pdf(make_docx(["遅い"]), DOCX, converter=slow)
        assert slow.pid is None  # killed, not left running
    finally:
        slow.close()


def test_private_directory_is_0700_and_removed() -> None:
    fresh = OfficeConverter()
    try:
        to_pdf(make_docx(["私的 PRIVATE-MARK-77ab"]), DOCX, converter=fresh)
        running = fresh._running
        assert running is not None
        root = running.root
        assert stat.S_IMODE(root.stat().st_mode) == 0o700
        # The documents went through pipes and UNO streams: no copy of the DOCX (its part
        # names are stored uncompressed) or of its text (the PDF's) is left on disk.
        for path in (p for p in root.rglob("*") if p.is_file()):
            content = path.read_bytes()
            assert b"word/document.xml" not in content, path
            assert b"PRIVATE-MARK-77ab" not in content, path
            assert b"%PDF-" not in content[:1024], path
    finally:
        fresh.close()
    assert not root.exists()


def test_missing_libreoffice_is_converter_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office, "find_soffice", lambda: None)
    with pytest.raises(ConverterUnavailable) as raised:
        to_pdf(make_docx(["無"]), DOCX, converter=OfficeConverter())
    assert raised.value.code == "converter_unavailable"


def test_pdf_export_has_no_forms_or_actions(converter: OfficeConverter) -> None:
    pdf = to_pdf(make_docx(["フォーム"], hyperlink="https://example.invalid/x"), DOCX,
                 converter=converter)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert "/AcroForm" not in document.Root  # ExportFormFields=False


def test_soffice_does_not_outlive_a_parent_killed_outright(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A worker killed with SIGKILL runs no atexit, and a process it forked (a pool or fork
    server) still holds the bridge's stdin, so no EOF comes: the bridge notices it was
    re-parented and stops LibreOffice itself (it was left running, before)."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    pid_file = tmp_path / "bridge.pid"
    script = ("import time; from handlers.convert import OfficeConverter, to_pdf; "
              "from tests.fixtures.officegen import make_docx; "
              "from tests.handlers.convert.support import DOCX; c = OfficeConverter(); "
              "to_pdf(make_docx(['x']), DOCX, converter=c); import os; "
              f"kid = os.fork(); kid == 0 and (time.sleep(60), os._exit(0)); "
              f"open({str(pid_file)!r}, 'w').write(str(c.pid)); time.sleep(600)")
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=root)
    deadline = time.monotonic() + 120
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        assert parent.poll() is None
        time.sleep(0.2)
    bridge = int(pid_file.read_text())
    group = [int(p) for p in subprocess.run(["pgrep", "-g", str(bridge)], capture_output=True,
                                            text=True).stdout.split()]
    assert len(group) >= 2  # the bridge and its soffice
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in group):
        time.sleep(0.5)
    assert not [p for p in group if _alive(p)]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            return stat_file.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
