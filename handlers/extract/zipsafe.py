"""Reading hostile ZIP containers (OOXML, ODF, archives) with bounded expansion.

The whole archive is refused when its central directory shows a bomb (too many members,
declared sizes beyond any document, a large member compressed beyond deflate's honest
range). Otherwise each member is read on demand, and a member that is encrypted, too large
or damaged raises a member-level error that the caller reports as an incomplete part.

Declared sizes are trusted only as upper bounds: ``zipfile`` stops a member's stream at its
declared size and then checks the CRC, so a member that lies about its size fails as corrupt
instead of expanding past the bound.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator

from core.errors import CorruptFile, EncryptedContent, LimitExceeded
from handlers.extract.collector import Budget
from handlers.extract.limits import (
    MAX_ARCHIVE_BYTES,
    MAX_ARCHIVE_MEMBERS,
    MAX_ARCHIVE_UNCOMPRESSED_BYTES,
    MAX_COMPRESSION_RATIO,
    MAX_MEMBER_BYTES,
    RATIO_CHECK_MIN_BYTES,
    ArchiveBomb,
    TooManyMembers,
)
from handlers.limits import check_size

_ENCRYPTED_FLAG = 0x1
#: What a damaged member can make zipfile and its decompressors raise.
_MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
                  NotImplementedError, RuntimeError)


class MemberTooLarge(LimitExceeded):
    code = "member_too_large"
    default_message = "an archive member is larger than the extractor reads"


class MemberCorrupt(CorruptFile):
    code = "member_corrupt"
    default_message = "an archive member could not be decompressed"


class SafeZip:
    """A validated archive; ``read`` decompresses one member within the limits."""

    def __init__(self, untrusted_data: bytes, budget: Budget) -> None:
        check_size(untrusted_data, MAX_ARCHIVE_BYTES)
        self._budget = budget
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(untrusted_data))
            infos = self._zip.infolist()
        except Exception as exc:
            # Deliberately broad: zipfile is pure Python and a hostile central directory
            # raises more than BadZipFile (NotImplementedError for a forged version, ...).
            raise CorruptFile(f"the archive cannot be read ({type(exc).__name__})") from exc
        # Directories carry no content; every file entry is kept, duplicates included, so
        # that a second entry with the same name (read by some tools, not others) is seen.
        self.members: list[zipfile.ZipInfo] = [i for i in infos if not i.is_dir()]
        _refuse_bombs(self.members)

    def names(self) -> list[str]:
        return [info.filename for info in self.members]

    def find(self, name: str) -> zipfile.ZipInfo | None:
        """The first member called ``name`` (leading slash and case as OOXML allows)."""
        wanted = name.lstrip("/").lower()
        return next((i for i in self.members if i.filename.lower() == wanted), None)

    def position(self, info: zipfile.ZipInfo) -> int:
        return self.members.index(info) + 1

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The member's bytes; EncryptedContent, MemberTooLarge or MemberCorrupt."""
        if info.flag_bits & _ENCRYPTED_FLAG:
            raise EncryptedContent("an archive member is encrypted")
        if info.file_size > MAX_MEMBER_BYTES:
            raise MemberTooLarge(f"a member declares more than {MAX_MEMBER_BYTES} bytes")
        self._budget.charge_expanded(info.file_size)
        try:
            with self._zip.open(info) as stream:
                return stream.read(MAX_MEMBER_BYTES + 1)
        except _MEMBER_ERRORS as exc:
            raise MemberCorrupt(f"a member cannot be read ({type(exc).__name__})") from exc

    def read_named(self, name: str) -> bytes | None:
        """``read`` by name; None when the member is absent."""
        info = self.find(name)
        return None if info is None else self.read(info)

    def __iter__(self) -> Iterator[zipfile.ZipInfo]:
        return iter(self.members)


def _refuse_bombs(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise TooManyMembers(f"more than {MAX_ARCHIVE_MEMBERS} members")
    total = sum(info.file_size for info in members)
    if total > MAX_ARCHIVE_UNCOMPRESSED_BYTES:
        raise ArchiveBomb(f"members declare more than {MAX_ARCHIVE_UNCOMPRESSED_BYTES} bytes")
    for info in members:
        if info.file_size >= RATIO_CHECK_MIN_BYTES and (
            info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1)
        ):
            raise ArchiveBomb(f"a member expands more than {MAX_COMPRESSION_RATIO} times")
