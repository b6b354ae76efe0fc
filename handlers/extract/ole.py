"""OLE2 compound files (CFB): password-encrypted OOXML, and legacy Office/Outlook formats.

Office saves a password-protected .docx/.xlsx/.pptx not as a ZIP but as a compound file
holding ``EncryptionInfo`` and ``EncryptedPackage`` streams (MS-OFFCRYPTO). Reading the
compound file's directory is enough to tell: such a file is ``password_protected``. Legacy
.doc/.xls/.ppt/.msg have no text extractor yet; they are read as far as naming what they are
(``unsupported_part``), so that the profile's floor for unread content applies.

Only the directory is parsed: the header, the FAT sectors it lists, and the directory chain,
all bounded by the file's own sector count (a FAT loop cannot spin).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from core.errors import CorruptFile
from handlers.extract.collector import Collector
from handlers.extract.limits import MAX_ARCHIVE_BYTES
from handlers.extract.result import PASSWORD_PROTECTED, UNSUPPORTED_PART
from handlers.limits import check_size

CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADER_DIFAT_ENTRIES = 109
_ENTRY_SIZE = 128
#: Stream names -> what the compound file is (first match wins).
KINDS = (
    (frozenset({"EncryptionInfo", "EncryptedPackage"}), "encrypted_ooxml"),
    (frozenset({"WordDocument"}), "legacy_word"),
    (frozenset({"Workbook"}), "legacy_excel"),
    (frozenset({"Book"}), "legacy_excel"),
    (frozenset({"PowerPoint Document"}), "legacy_powerpoint"),
    (frozenset({"__properties_version1.0"}), "outlook_message"),
)


def entry_names(untrusted_data: bytes) -> list[str]:
    """Names of the storages and streams in a compound file's directory."""
    if len(untrusted_data) < 512 or not untrusted_data.startswith(CFB_SIGNATURE):
        raise CorruptFile("not a compound file")
    shift = struct.unpack_from("<H", untrusted_data, 0x1E)[0]
    if shift not in (9, 12):
        raise CorruptFile("unsupported compound-file sector size")
    size = 1 << shift
    # The header fills sector -1 (512 bytes in version 3, padded to 4096 in version 4).
    sectors = max(0, (len(untrusted_data) - size) // size)

    def sector(number: int) -> bytes:
        if number >= sectors:
            raise CorruptFile("a compound-file sector lies beyond the end of the file")
        start = (number + 1) * size
        return untrusted_data[start:start + size]

    fat = _fat(untrusted_data, sector, size, sectors)
    first_directory = struct.unpack_from("<I", untrusted_data, 0x30)[0]
    names = []
    for number in _chain(first_directory, fat, sectors):
        block = sector(number)
        for offset in range(0, size, _ENTRY_SIZE):
            length, kind = struct.unpack_from("<HB", block, offset + 64)
            if kind in (1, 2, 5) and 2 <= length <= 64:
                names.append(block[offset:offset + length - 2].decode("utf-16-le", "replace"))
    return names


def _fat(data: bytes, sector: Callable[[int], bytes], size: int, sectors: int) -> list[int]:
    difat = list(struct.unpack_from(f"<{_HEADER_DIFAT_ENTRIES}I", data, 0x4C))
    next_difat = struct.unpack_from("<I", data, 0x44)[0]
    per_sector = size // 4
    for _ in range(sectors):  # the DIFAT chain cannot be longer than the file
        if next_difat >= sectors:
            break
        values = struct.unpack(f"<{per_sector}I", sector(next_difat))
        difat.extend(values[:-1])
        next_difat = values[-1]
    fat: list[int] = []
    for number in difat:
        if number < sectors:
            fat.extend(struct.unpack(f"<{per_sector}I", sector(number)))
    return fat


def _chain(start: int, fat: list[int], sectors: int) -> list[int]:
    chain: list[int] = []
    seen: set[int] = set()
    current = start
    while current < sectors and current not in seen and current < len(fat):
        seen.add(current)
        chain.append(current)
        current = fat[current]
    if current in seen:
        raise CorruptFile("the compound-file directory chain loops")
    return chain


def extract_ole(untrusted_data: bytes, out: Collector) -> None:
    check_size(untrusted_data, MAX_ARCHIVE_BYTES)
    names = set(entry_names(untrusted_data))
    kind = next((k for streams, k in KINDS if streams <= names), "compound_file")
    if kind == "encrypted_ooxml":
        out.add_incomplete(PASSWORD_PROTECTED, "encrypted_package")
    else:
        out.add_incomplete(UNSUPPORTED_PART, kind)
