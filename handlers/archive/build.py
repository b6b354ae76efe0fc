"""Writing the cleaned archive, and our label in its comment.

Deterministic: members sorted by name, every timestamp 1980-01-01 00:00 (the DOS epoch, the
earliest a ZIP can hold), mode 0644 regular file, no extra fields or comments, deflate. The
same members therefore give the same bytes, and nothing about when, where or by whom the
files were made survives (Saitama 第3 4(3) 属性情報: extra fields hold NTFS and Unix times,
uid and gid).

Label (Chiba 6.2(2), LBL-01): ZIP has no property store; the archive comment (shown by
``unzip -z`` and archive managers) carries ``sekisho-label: {json}``, the same marker line as
labelled text. Members are not relabelled here: each was labelled, or not, by its own
handler's rules.
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Mapping

from handlers.labelcodec import decode_label, encode_label
from handlers.text import LABEL_MARKER

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
#: ``external_attr`` of every written member: a regular file, rw-r--r--.
FILE_ATTRIBUTES = (stat.S_IFREG | 0o644) << 16
UNIX_SYSTEM = 3


def build_archive(members: Mapping[str, bytes], label: Mapping[str, object] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            archive.writestr(member_info(name), members[name])
        archive.comment = label_comment(label) if label is not None else b""
    return out.getvalue()


def member_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = UNIX_SYSTEM
    info.external_attr = FILE_ATTRIBUTES
    return info


def label_comment(label: Mapping[str, object]) -> bytes:
    return (LABEL_MARKER + encode_label(label)).encode("utf-8")


def comment_label(comment: bytes) -> dict[str, object] | None:
    """The label in an archive comment, only in exactly the form ``label_comment`` writes."""
    try:
        text = comment.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.startswith(LABEL_MARKER):
        return None
    label = decode_label(text.removeprefix(LABEL_MARKER))
    return label if label is not None and label_comment(label) == comment else None
