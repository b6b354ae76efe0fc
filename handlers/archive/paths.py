"""Member names: decoded as their writer meant them, and refused when unsafe.

ZIP names without the UTF-8 flag are in the writer's code page; Japanese Windows writes
CP932, which ``zipfile`` reads as CP437 mojibake. The name is re-read as UTF-8, then CP932,
before any check: CP932 trail bytes include 0x5C, which a byte-level check would take for a
backslash (表 is 0x95 0x5C).

Refused (whole archive, fail closed): ``..`` and ``.`` segments, empty segments, absolute
paths, drive letters and any colon (NTFS alternate streams), backslashes, control and bidi
characters, Windows device names, segments ending in a dot or space (Windows strips them, so
two names become one), over-long paths; symbolic links and special files by their Unix mode;
duplicates after case folding and NFC, and a file where another member needs a folder.
"""

from __future__ import annotations

import re
import stat
import unicodedata
import zipfile
from collections.abc import Iterable

from handlers.archive.limits import (
    MAX_MEMBER_PATH_CHARS,
    DuplicateMember,
    SpecialFileMember,
    SymlinkMember,
    UnsafeMemberPath,
)
from handlers.text import BIDI_CONTROLS, CONTROL_CHARACTERS

_UTF8_FLAG = 0x800
_DEVICE_NAMES = re.compile(r"(?:con|prn|aux|nul|com[0-9]|lpt[0-9])(?:\..*)?", re.IGNORECASE)
_UNSAFE_CHARACTERS = BIDI_CONTROLS | CONTROL_CHARACTERS | {"\\", ":", "\t", "\n", "\r"}
#: Files operating systems leave in archives: metadata, not documents (Thumbs.db holds
#: thumbnails of the folder's pictures, .DS_Store its file names, __MACOSX extended
#: attributes such as the download URL, ``Icon\\r`` a folder icon). Dropped and counted, not
#: cleaned, and not path-checked since nothing of them is written.
OS_METADATA_NAMES = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini", ".ds_store"})


def decoded_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its writer meant it."""
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for codec in ("utf-8", "cp932"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.filename


def check_path(name: str) -> None:
    """UnsafeMemberPath unless ``name`` is a plain relative path of plain segments."""
    if len(name) > MAX_MEMBER_PATH_CHARS or not name or name.startswith("/"):
        raise UnsafeMemberPath("a member path is absolute, empty or too long")
    if any(c in _UNSAFE_CHARACTERS for c in name):
        raise UnsafeMemberPath("a member path has a backslash, colon or control character")
    for segment in name.split("/"):
        if segment in {"", ".", ".."}:
            raise UnsafeMemberPath("a member path has an empty, '.' or '..' segment")
        if segment[-1] in ". " or _DEVICE_NAMES.fullmatch(segment):
            raise UnsafeMemberPath("a member path has a segment Windows cannot create")


def check_file_type(info: zipfile.ZipInfo) -> None:
    """Only regular files: the Unix mode in the high external attributes decides (archives
    from Windows leave it zero)."""
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        raise SymlinkMember()
    if kind not in {0, stat.S_IFREG}:
        raise SpecialFileMember()


def is_os_metadata(name: str) -> bool:
    segments = name.split("/")
    last = segments[-1]
    return segments[0] == "__MACOSX" or last.startswith("._") or last == "Icon\r" or (
        last.lower() in OS_METADATA_NAMES)


def check_unique(names: Iterable[str]) -> None:
    """DuplicateMember when two names extract to the same file or a file blocks a folder."""
    folded = [unicodedata.normalize("NFC", name).casefold() for name in names]
    files = set()
    for name in folded:
        if name in files:
            raise DuplicateMember()
        files.add(name)
    folders = {name.rsplit("/", n)[0] for name in folded for n in range(1, name.count("/") + 1)}
    if files & folders:
        raise DuplicateMember("a member has the name of another member's folder")
