"""Streaming base64 and the MIME framing of S/MIME exports (RFC 8551, RFC 2045, RFC 2231).

Everything here has a length computable in advance, because the CMS structure around it is
written with definite DER lengths before the first byte of content (keys.export.cms).
"""

from __future__ import annotations

import base64
from email.utils import encode_rfc2231
from pathlib import PurePath
from typing import Protocol


class _Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


class Base64Lines:
    """Base64-encode a stream into lines of ``line_chars`` (a multiple of 4) + ``newline``."""

    def __init__(self, sink: _Writable, *, line_chars: int, newline: bytes) -> None:
        if line_chars % 4:
            raise ValueError("line_chars must be a multiple of 4")
        self._sink, self._line_chars, self._newline = sink, line_chars, newline
        self._group = line_chars // 4 * 3  # input bytes per full line
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        full = len(self._buffer) // self._group * self._group
        if full:
            self._emit(bytes(self._buffer[:full]))
            del self._buffer[:full]
        return len(data)

    def close(self) -> None:
        if self._buffer:
            self._emit(bytes(self._buffer))
            self._buffer.clear()

    def _emit(self, chunk: bytes) -> None:
        encoded = base64.b64encode(chunk)
        step = self._line_chars
        self._sink.write(b"".join(
            encoded[i:i + step] + self._newline for i in range(0, len(encoded), step)
        ))


def base64_lines_length(size: int, *, line_chars: int, newline_len: int) -> int:
    encoded = 4 * -(-size // 3)
    return encoded + newline_len * -(-encoded // line_chars)


def _quoted_or_rfc2231(parameter: str, value: str) -> str:
    if value.isascii() and value.isprintable() and not any(c in value for c in '"\\'):
        return f'{parameter}="{value}"'
    return f"{parameter}*={encode_rfc2231(value, 'utf-8')}"


def _safe_filename(name: str) -> str:
    # Only the last component, no control characters: the name ends up in a mail header.
    base = PurePath(name.replace("\\", "/")).name
    cleaned = "".join(c for c in base if c.isprintable() and c not in "\r\n")
    return cleaned or "document"


class MimeAttachment:
    """The inner MIME entity of an S/MIME export: one base64 attachment part."""

    def __init__(self, filename: str, size: int) -> None:
        name = _safe_filename(filename)
        self.header = (
            "Content-Type: application/octet-stream; "
            f"{_quoted_or_rfc2231('name', name)}\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: attachment; {_quoted_or_rfc2231('filename', name)}\r\n"
            "\r\n"
        ).encode("ascii")
        self.length = len(self.header) + base64_lines_length(size, line_chars=76, newline_len=2)


def smime_headers() -> bytes:
    """Outer headers of an application/pkcs7-mime message (RFC 8551 section 3.4)."""
    return (
        b"MIME-Version: 1.0\r\n"
        b'Content-Disposition: attachment; filename="smime.p7m"\r\n'
        b"Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data; "
        b'name="smime.p7m"\r\n'
        b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n"
    )
