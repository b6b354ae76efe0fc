"""Independent views of a PDF for assertions: a pikepdf walk that shares no code with the
sanitiser, an uncompressed expansion of every object, and the qpdf command line."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, Stream

QPDF = shutil.which("qpdf")
needs_qpdf = pytest.mark.skipif(
    QPDF is None,
    reason="qpdf is not installed (apt-get install -y qpdf): the independent qpdf check "
    "cannot run; the pikepdf-based checks still do",
)


def all_keys_and_action_types(data: bytes) -> tuple[set[str], set[str]]:
    """Every dictionary key and every /S value anywhere in the file, trailer included."""
    keys: set[str] = set()
    action_types: set[str] = set()
    with pikepdf.open(io.BytesIO(data), conversion_mode="explicit") as pdf:
        roots = [pdf.trailer, *pdf.objects]
        stack = list(roots)
        while stack:
            node = stack.pop()
            if isinstance(node, (Dictionary, Stream)):
                for key in node.keys():
                    keys.add(key)
                    value = node[key]
                    if key == "/S" and isinstance(value, Name):
                        action_types.add(str(value))
                    if not value.is_indirect:
                        stack.append(value)
            elif isinstance(node, Array):
                stack.extend(item for item in node if not item.is_indirect)
    return keys, action_types


def expand(data: bytes) -> bytes:
    """The file with every stream decompressed and no object streams (QDF form)."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.save(
            out, qdf=True, object_stream_mode=pikepdf.ObjectStreamMode.disable,
            stream_decode_level=pikepdf.StreamDecodeLevel.generalized, compress_streams=False,
        )
    return out.getvalue()


def text_forms(value: str) -> list[bytes]:
    """How a string can appear in PDF bytes: literal, UTF-16BE, or hex (QDF writes binary
    strings as hex)."""
    utf16 = value.encode("utf-16-be")
    forms = [value.encode("utf-8"), utf16, utf16.hex().encode(), utf16.hex().upper().encode()]
    if value.isascii():
        forms.append(value.encode("ascii").hex().encode())
    return forms


def contains_text(data: bytes, value: str) -> bool:
    return any(form in data for form in text_forms(value))


def qpdf(tmp_path: Path, data: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    assert QPDF is not None
    path = tmp_path / "subject.pdf"
    path.write_bytes(data)
    return subprocess.run([QPDF, *args, str(path)], capture_output=True, timeout=60, check=False)


def qpdf_expand(tmp_path: Path, data: bytes) -> bytes:
    """qpdf's own uncompressed rendering of the file, to stdout."""
    assert QPDF is not None
    path = tmp_path / "subject.pdf"
    path.write_bytes(data)
    result = subprocess.run(
        [QPDF, "--qdf", "--object-streams=disable", "--stream-data=uncompress", str(path), "-"],
        capture_output=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
