"""Shared steps for ZIP-based documents (OOXML, ODF): read a member, walk its XML, and read
everything the format-specific code did not.

Fail closed for the classifier: an XML member the format code does not know (custom XML data,
charts, SmartArt, embedded formula objects) is still walked for its text, and embedded files
(pictures, OLE-embedded workbooks) go through ``extract`` one level deeper, so that content
cannot hide from classification in a part we did not anticipate.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from typing import TypeVar

from core.errors import CorruptFile, EncryptedContent
from handlers.extract.collector import Collector
from handlers.extract.result import (
    CORRUPT_PART,
    LIMIT_EXCEEDED,
    PASSWORD_PROTECTED,
    safe_member_name,
)
from handlers.extract.walkers import TextWalker
from handlers.extract.xmlsafe import XmlTooComplex, parse_xml
from handlers.extract.zipsafe import MemberTooLarge, SafeZip

W = TypeVar("W", bound=TextWalker)

#: Metadata keys for the people named on revision marks and comments.
PEOPLE_KEYS = {"revision": "revision_authors", "comment": "comment_authors"}


def member_part(package: SafeZip, info: zipfile.ZipInfo) -> str:
    return safe_member_name(info.filename, package.position(info))


def read_member(package: SafeZip, info: zipfile.ZipInfo, out: Collector) -> bytes | None:
    """The member's bytes, or None after recording why it could not be read."""
    part = member_part(package, info)
    try:
        return package.read(info)
    except EncryptedContent:
        out.add_incomplete(PASSWORD_PROTECTED, part)
    except MemberTooLarge:
        out.add_incomplete(LIMIT_EXCEEDED, part)
    except CorruptFile:
        out.add_incomplete(CORRUPT_PART, part)
    return None


def walk_member(package: SafeZip, info: zipfile.ZipInfo, out: Collector, walker: W) -> W | None:
    """Stream a member's XML into ``walker``; text read before damage is kept."""
    data = read_member(package, info, out)
    if data is None:
        return None
    try:
        parse_xml(data, walker)
    except XmlTooComplex:
        out.add_incomplete(LIMIT_EXCEEDED, member_part(package, info))
    except CorruptFile:
        out.add_incomplete(CORRUPT_PART, member_part(package, info))
    return walker


def add_walked(
    package: SafeZip, info: zipfile.ZipInfo, out: Collector, walker: TextWalker,
    *, part: str | None = None,
) -> TextWalker | None:
    """Walk a member and add its text, side-part features and named people to ``out``."""
    walked = walk_member(package, info, out, walker)
    if walked is None:
        return None
    text = walked.text()
    if text.strip():
        out.add_text(text, part or member_part(package, info))
        for feature in sorted(walked.features):
            out.add_part(feature)
    for role, names in walked.people.items():
        out.add_metadata(PEOPLE_KEYS.get(role, role), "; ".join(sorted(names)))
    return walked


def read_rest(
    package: SafeZip,
    out: Collector,
    handled: set[str],
    *,
    skip: Callable[[str], bool],
    embedded: Callable[[str], bool],
) -> None:
    """Walk every XML member not ``handled`` or ``skip``-ped; extract embedded files."""
    for info in package:
        name = info.filename
        if name in handled or skip(name):
            continue
        if name.lower().endswith(".xml"):
            add_walked(package, info, out, TextWalker())
        elif embedded(name):
            data = read_member(package, info, out)
            if data:
                out.add_embedded(data, member_part(package, info))
