"""Reading an Open Packaging Conventions package: entries, content types, relationships.

Everything goes through ``SafeZip`` (bounded ZIP reading, bomb checks) and ``parse_tree``
(expat without DTDs or entities). Ambiguity is refused rather than resolved: two entries for
one part name, two relationships with one id, or encrypted entries stop the file at open.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from core.errors import EncryptedContent
from handlers.extract.collector import Budget
from handlers.extract.xmlsafe import parse_tree
from handlers.extract.zipsafe import SafeZip
from handlers.ooxml import policy
from handlers.ooxml.limits import (
    MAX_CONTENT_TYPE_ENTRIES,
    MAX_RELATIONSHIPS,
    DuplicatePart,
    DuplicateRelationship,
    NotAnOfficePackage,
    TooManyContentTypes,
    TooManyRelationships,
)

CONTENT_TYPES = "[Content_Types].xml"
ROOT = ""  # the package itself, as a relationship source
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: MS-OFFCRYPTO: a password-protected (or IRM-protected) OOXML file is an OLE compound file
#: with these streams; their names sit in the directory in UTF-16.
_ENCRYPTED_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
_ENCRYPTED_FLAG = 0x1


@dataclass(frozen=True, slots=True)
class Relationship:
    id: str
    type: str
    target: str
    external: bool

    @property
    def short_type(self) -> str:
        return policy.short_type(self.type)


def rels_name(source: str) -> str:
    """The relationships part of ``source`` (``""``: the package root)."""
    folder, _sep, base = source.rpartition("/")
    return f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"


class OpcPackage:
    """A validated package held in memory; parts are read on demand within the ZIP limits."""

    def __init__(self, untrusted_data: bytes) -> None:
        _refuse_encrypted_container(untrusted_data)
        self._zip = SafeZip(untrusted_data, Budget())
        self._entries = _index(self._zip.members)
        if CONTENT_TYPES.lower() not in self._entries:
            raise NotAnOfficePackage("the package has no [Content_Types].xml")
        self._defaults, self._overrides = _content_types(parse_tree(self.read(CONTENT_TYPES)))
        self._relationships: dict[str, list[Relationship]] = {}
        self._relationship_count = 0
        self.main, self.main_type = self._main_part()

    def names(self) -> list[str]:
        """Every entry name, as stored."""
        return [info.filename for info in self._zip.members]

    def name_of(self, name: str) -> str | None:
        """The stored spelling of a part name (OPC names are case-insensitive), or None."""
        info = self._entries.get(name.lower())
        return info.filename if info is not None else None

    def read(self, name: str) -> bytes:
        info = self._entries.get(name.lower())
        if info is None:
            raise NotAnOfficePackage("a part the package refers to is missing")
        return self._zip.read(info)

    def content_type(self, name: str) -> str | None:
        """The declared content type, as written (compare lower-cased)."""
        override = self._overrides.get(name.lower())
        if override is not None:
            return override
        extension = name.rpartition(".")[2].lower() if "." in name else ""
        return self._defaults.get(extension)

    def relationships(self, source: str) -> list[Relationship]:
        """The relationships of ``source`` in document order (empty without a .rels part)."""
        cached = self._relationships.get(source)
        if cached is not None:
            return cached
        name = rels_name(source)
        parsed = _relationships(parse_tree(self.read(name))) if self.name_of(name) else []
        self._relationship_count += len(parsed)
        if self._relationship_count > MAX_RELATIONSHIPS:
            raise TooManyRelationships(f"more than {MAX_RELATIONSHIPS} relationships")
        self._relationships[source] = parsed
        return parsed

    def resolve(self, source: str, relationship: Relationship) -> str | None:
        """The stored name of an internal relationship's target, or None if it is absent."""
        if relationship.external:
            return None
        target = relationship.target.partition("#")[0]
        for candidate in (target, unquote(target)):
            name = resolve_target(source, candidate)
            if name is not None and (stored := self.name_of(name)) is not None:
                return stored
        return None

    def _main_part(self) -> tuple[str, str]:
        for relationship in self.relationships(ROOT):
            if relationship.short_type == policy.OFFICE_DOCUMENT:
                main = self.resolve(ROOT, relationship)
                if main is not None:
                    return main, (self.content_type(main) or "").lower()
                break
        raise NotAnOfficePackage("the package has no main document part")


def resolve_target(source: str, target: str) -> str | None:
    """A relationship target as a part name, or None when it leaves the package."""
    if not target:
        return None
    if target.startswith("/"):
        joined = target.lstrip("/")
    else:
        joined = posixpath.join(posixpath.dirname(source), target)
    name = posixpath.normpath(joined)
    if name in {".", ".."} or name.startswith(("../", "/")):
        return None
    return name


def _refuse_encrypted_container(untrusted_data: bytes) -> None:
    if not untrusted_data.startswith(_OLE_SIGNATURE):
        return
    if any(stream in untrusted_data for stream in _ENCRYPTED_STREAMS):
        # Never "clean": the content cannot be inspected without the password.
        raise EncryptedContent("the Office document is password-protected")
    raise NotAnOfficePackage("an OLE compound file is not an Office Open XML package")


def _index(members: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
    index: dict[str, zipfile.ZipInfo] = {}
    for info in members:
        if info.flag_bits & _ENCRYPTED_FLAG:
            raise EncryptedContent("a part of the package is encrypted")
        key = info.filename.lower()
        if key in index:
            raise DuplicatePart("two entries share one part name")
        index[key] = info
    return index


def _content_types(tree: Element) -> tuple[dict[str, str], dict[str, str]]:
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for count, element in enumerate(tree, start=1):
        if count > MAX_CONTENT_TYPE_ENTRIES:
            raise TooManyContentTypes(f"more than {MAX_CONTENT_TYPE_ENTRIES} entries")
        content_type = element.get("ContentType", "").strip()
        if element.tag == "Default" and element.get("Extension"):
            defaults.setdefault(element.get("Extension", "").lower(), content_type)
        elif element.tag == "Override" and element.get("PartName"):
            overrides.setdefault(element.get("PartName", "").lstrip("/").lower(), content_type)
    return defaults, overrides


def _relationships(tree: Element) -> list[Relationship]:
    found: list[Relationship] = []
    ids: set[str] = set()
    for element in tree.iter("Relationship"):
        rel_id, rel_type = element.get("Id", ""), element.get("Type", "")
        if not rel_id or not rel_type:
            continue  # unusable: nothing can refer to it, and it is not written back
        if rel_id in ids:
            raise DuplicateRelationship()
        ids.add(rel_id)
        external = element.get("TargetMode", "Internal").strip() == "External"
        found.append(Relationship(rel_id, rel_type, element.get("Target", ""), external))
        if len(found) > MAX_RELATIONSHIPS:
            raise TooManyRelationships(f"more than {MAX_RELATIONSHIPS} relationships")
    return found
