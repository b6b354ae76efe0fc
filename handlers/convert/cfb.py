"""What a legacy compound file (.doc/.xls/.ppt) is, and whether it is password-protected.

LibreOffice, driven headless, reports a password-protected file only as "could not load",
the same as a damaged one. The format says so itself, so we read it: the first bytes of
the main stream are enough (MS-DOC FibBase.fEncrypted, MS-XLS FILEPASS record, MS-PPT
CurrentUserAtom.headerToken), and password-encrypted OOXML sits in a compound file with
``EncryptionInfo``/``EncryptedPackage`` streams (MS-OFFCRYPTO). The directory walk reuses
handlers/extract/ole.py; only stream reading is added here, bounded by the file's size.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from core.errors import CorruptFile, EncryptedContent
from handlers.extract.ole import CFB_SIGNATURE, KINDS, _chain, _fat, entry_names

_ENTRY_SIZE = 128
#: Bytes of a main stream read to judge encryption: the headers sit at its start.
_PROBE_BYTES = 4096
_FIB_FLAGS = 0x0A
_FIB_ENCRYPTED = 0x0100
_XLS_BOF, _XLS_EOF, _XLS_FILEPASS = 0x0809, 0x000A, 0x002F
_PPT_ENCRYPTED_TOKEN = 0xF3D1C4DF
#: MIME type -> the kind ``handlers.extract.ole.KINDS`` must name.
EXPECTED_KIND = {
    "application/msword": "legacy_word",
    "application/vnd.ms-excel": "legacy_excel",
    "application/vnd.ms-powerpoint": "legacy_powerpoint",
}


@dataclass(frozen=True)
class _Entry:
    name: str
    start: int
    size: int


class CompoundFile:
    """Read-only access to the start of a compound file's streams."""

    def __init__(self, untrusted_data: bytes) -> None:
        if len(untrusted_data) < 512 or not untrusted_data.startswith(CFB_SIGNATURE):
            raise CorruptFile("not a compound file")
        self._data = untrusted_data
        self._size = 1 << struct.unpack_from("<H", untrusted_data, 0x1E)[0]
        self._sectors = max(0, (len(untrusted_data) - self._size) // self._size)
        self._fat = _fat(untrusted_data, self._sector, self._size, self._sectors)
        self._mini_cutoff = struct.unpack_from("<I", untrusted_data, 0x38)[0]
        self._entries = self._read_entries()

    def _sector(self, number: int) -> bytes:
        if number >= self._sectors:
            raise CorruptFile("a compound-file sector lies beyond the end of the file")
        start = (number + 1) * self._size
        return self._data[start:start + self._size]

    def _read_entries(self) -> list[_Entry]:
        first = struct.unpack_from("<I", self._data, 0x30)[0]
        entries = []
        for number in _chain(first, self._fat, self._sectors):
            block = self._sector(number)
            for offset in range(0, len(block) - _ENTRY_SIZE + 1, _ENTRY_SIZE):
                length, kind = struct.unpack_from("<HB", block, offset + 64)
                if kind in (1, 2, 5) and 2 <= length <= 64:
                    name = block[offset:offset + length - 2].decode("utf-16-le", "replace")
                    start, size = struct.unpack_from("<IQ", block, offset + 116)
                    entries.append(_Entry(name, start, size))
        return entries

    def head(self, name: str, limit: int = _PROBE_BYTES) -> bytes:
        """The first ``limit`` bytes of the named stream (CorruptFile if it is missing)."""
        entry = next((e for e in self._entries if e.name == name), None)
        if entry is None:
            raise CorruptFile("a required stream is missing")
        wanted = min(entry.size, limit)
        if entry.size < self._mini_cutoff:
            return self._mini_head(entry, wanted)
        return _gather(self._sector, _chain(entry.start, self._fat, self._sectors), wanted)

    def _mini_head(self, entry: _Entry, wanted: int) -> bytes:
        root = self._entries[0]
        container = _gather(self._sector, _chain(root.start, self._fat, self._sectors), None)
        mini_fat_start = struct.unpack_from("<I", self._data, 0x3C)[0]
        mini_fat_bytes = _gather(self._sector, _chain(mini_fat_start, self._fat, self._sectors),
                                 None)
        mini_fat = list(struct.unpack(f"<{len(mini_fat_bytes) // 4}I", mini_fat_bytes))
        count = len(container) // 64

        def mini_sector(number: int) -> bytes:
            if number >= count:
                raise CorruptFile("a mini-stream sector lies beyond the mini stream")
            return container[number * 64:(number + 1) * 64]

        return _gather(mini_sector, _chain(entry.start, mini_fat, count), wanted)


def _gather(read: Callable[[int], bytes], chain: list[int], wanted: int | None) -> bytes:
    """The first ``wanted`` bytes along a sector chain (the whole chain for None). A chain
    visits each sector once, so the result is never larger than the file."""
    out = bytearray()
    for number in chain:
        if wanted is not None and len(out) >= wanted:
            break
        out += read(number)
    if wanted is None:
        return bytes(out)
    if len(out) < wanted:
        raise CorruptFile("a compound-file stream is shorter than declared")
    return bytes(out[:wanted])


def check_legacy(untrusted_data: bytes, mime: str) -> str:
    """The legacy kind of a compound file; EncryptedContent when password-protected,
    CorruptFile when it is not the document its detected type says."""
    names = set(entry_names(untrusted_data))
    kind = next((k for streams, k in KINDS if streams <= names), "compound_file")
    if kind == "encrypted_ooxml":
        raise EncryptedContent("the document is password-protected (encrypted package)")
    if EXPECTED_KIND.get(mime) != kind:
        raise CorruptFile("the compound file is not the document its type says")
    if _encrypted(CompoundFile(untrusted_data), kind):
        raise EncryptedContent("the document is password-protected")
    return kind


def _encrypted(cfb: CompoundFile, kind: str) -> bool:
    if kind == "legacy_word":
        fib = cfb.head("WordDocument", 32)
        return bool(struct.unpack_from("<H", fib, _FIB_FLAGS)[0] & _FIB_ENCRYPTED)
    if kind == "legacy_excel":
        stream = "Workbook" if "Workbook" in {e.name for e in cfb._entries} else "Book"
        return _xls_filepass(cfb.head(stream))
    atom = cfb.head("Current User", 16)
    token: int = struct.unpack_from("<I", atom, 12)[0]
    return token == _PPT_ENCRYPTED_TOKEN


def _xls_filepass(head: bytes) -> bool:
    """FILEPASS comes among the first records of the workbook globals, before any sheet."""
    offset = 0
    while offset + 4 <= len(head):
        record, length = struct.unpack_from("<HH", head, offset)
        if record == _XLS_FILEPASS:
            return True
        if record == _XLS_EOF:
            return False
        offset += 4 + length
    return False
