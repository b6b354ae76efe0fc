"""Small non-PDF samples built in memory (known origin, nothing downloaded)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def make_png() -> bytes:
    """A valid 1x1 grey PNG."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80")
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def make_zip(members: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, body in (members or {"a.txt": "hello"}).items():
            zf.writestr(name, body)
    return out.getvalue()


def make_exe() -> bytes:
    """Enough of a PE header for libmagic to say application/x-dosexec."""
    return b"MZ\x90\x00" + b"\x00" * 200
