"""Writing a package back: one deterministic ZIP from parts, content types and relationships.

Determinism makes ``clean`` idempotent and outputs comparable: fixed timestamps, no extra
fields or comments, fixed entry order. ``[Content_Types].xml``, ``_rels/.rels`` and the main
part come first, in that order, as Office writes them: libmagic recognises Word, Excel and
PowerPoint by the name of the *third* entry (``word/``, ``xl/``, ``ppt/``). Every other entry
follows in name order. Content types are written as one Override per part, so
no Default can give a part a type the rebuild did not check.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from handlers.ooxml import policy
from handlers.ooxml.package import CONTENT_TYPES, Relationship, rels_name

#: The DOS epoch: nothing about when or where the file was cleaned leaks into the ZIP.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'


@dataclass
class PackageModel:
    """The parts of a package to be written (``.rels`` and content types are generated)."""

    main: str
    parts: dict[str, bytes] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    #: Source part ("" for the package root) -> its relationships, in order.
    rels: dict[str, list[Relationship]] = field(default_factory=dict)

    def add(self, name: str, data: bytes, content_type: str) -> None:
        self.parts[name] = data
        self.types[name] = content_type

    def fresh_id(self, source: str, base: str = "rIdSekisho") -> str:
        """A relationship id not yet used by ``source``."""
        used = {rel.id for rel in self.rels.get(source, [])}
        candidate, number = base, 1
        while candidate in used:
            number += 1
            candidate = f"{base}{number}"
        return candidate

    def parts_of_type(self, *content_types: str) -> list[str]:
        wanted = {t.lower() for t in content_types}
        return [name for name, t in self.types.items() if t.lower() in wanted]

    def to_bytes(self) -> bytes:
        entries = {name: data for name, data in self.parts.items()}
        for source, relationships in self.rels.items():
            if relationships and (source == "" or source in self.parts):
                entries[rels_name(source)] = relationships_xml(relationships)
        first = [name for name in (rels_name(""), self.main) if name in entries]
        ordered = first + sorted(name for name in entries if name not in first)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            _write(archive, CONTENT_TYPES, self._content_types_xml())
            for name in ordered:
                _write(archive, name, entries[name])
        return buffer.getvalue()

    def _content_types_xml(self) -> bytes:
        rows = [f'<Default Extension="rels" ContentType="{policy.RELS_TYPE}"/>',
                '<Default Extension="xml" ContentType="application/xml"/>']
        rows += [f"<Override PartName={quoteattr('/' + name)} "
                 f"ContentType={quoteattr(self.types[name])}/>" for name in sorted(self.parts)]
        body = "".join(rows)
        return f'{XML_DECLARATION}<Types xmlns="{policy.TYPES_NAMESPACE}">{body}</Types>'.encode()


def relationships_xml(relationships: list[Relationship]) -> bytes:
    rows = "".join(
        f"<Relationship Id={quoteattr(rel.id)} Type={quoteattr(rel.type)} "
        f"Target={quoteattr(rel.target)}" + (' TargetMode="External"' if rel.external else "")
        + "/>"
        for rel in relationships
    )
    return (f'{XML_DECLARATION}<Relationships xmlns="{policy.RELS_NAMESPACE}">{rows}'
            "</Relationships>").encode()


def _write(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 0
    info.external_attr = 0
    archive.writestr(info, data)
