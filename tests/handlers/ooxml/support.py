"""Shared helpers for the OOXML sanitiser tests: package contents, cleaning, outside tools."""

from __future__ import annotations

import functools
import io
import json
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

from handlers.base import CleanOptions, Handler

EXIFTOOL = shutil.which("exiftool")
SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice is not installed (apt-get install --no-install-recommends "
    "libreoffice-writer-nogui): the check that LibreOffice opens cleaned files cannot run",
)


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def everything(data: bytes) -> bytes:
    """Every entry name and decompressed entry, for "is this string anywhere" checks."""
    return b"\n".join(name.encode() + b"\n" + body for name, body in members(data).items())


def contains(data: bytes, secret: str) -> bool:
    blob = everything(data)
    return secret.encode() in blob or secret.encode("utf-16-le") in blob


def clean(handler: type[Handler], data: bytes,
          options: CleanOptions | None = None) -> tuple[bytes, Handler]:
    with handler.open(data, options or CleanOptions()) as opened:
        return opened.clean(), opened


@functools.cache
def exiftool_reads_ooxml() -> bool:
    """exiftool reads OOXML properties only with Perl's Archive::Zip; without it every
    check would pass vacuously, so the tests that rely on it are skipped instead."""
    if EXIFTOOL is None:
        return False
    from tests.fixtures.officegen import make_docx

    found = exiftool(make_docx(["x"], author="ExiftoolProbe"), ".docx")
    return any("ExiftoolProbe" in str(value) for value in found.values())


def exiftool(data: bytes, suffix: str) -> dict[str, object]:
    assert EXIFTOOL is not None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"file{suffix}"
        path.write_bytes(data)
        output = subprocess.run([EXIFTOOL, "-j", "-a", "-G1", str(path)], capture_output=True,
                                check=True, timeout=60).stdout
    result: dict[str, object] = json.loads(output)[0]
    return result


def skip_without_exiftool() -> None:
    if not exiftool_reads_ooxml():
        pytest.skip("exiftool with Archive::Zip is needed to read OOXML properties "
                    "(apt-get install libimage-exiftool-perl libarchive-zip-perl)")


@functools.cache
def _office_profile() -> Path:
    # One LibreOffice user profile for the whole run: creating one costs seconds.
    return Path(tempfile.mkdtemp(prefix="sekisho-lo-profile-"))


def soffice_converts(data: bytes, suffix: str) -> str:
    """Convert with LibreOffice headless to PDF in a private directory; returns its text."""
    assert SOFFICE is not None
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / f"in{suffix}"
        source.write_bytes(data)
        result = subprocess.run(
            [SOFFICE, f"-env:UserInstallation=file://{_office_profile()}", "--headless",
             "--convert-to", "pdf", "--outdir", folder, str(source)],
            capture_output=True, timeout=120, check=False)
        pdf = Path(folder) / "in.pdf"
        assert result.returncode == 0 and pdf.exists(), result.stderr.decode(errors="replace")
        return pdf_text(pdf.read_bytes())


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
