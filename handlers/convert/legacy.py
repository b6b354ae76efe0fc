"""RTF and legacy .doc/.xls/.ppt: converted to OOXML by LibreOffice, then cleaned as OOXML.

We cannot rebuild these formats from an allow-list ourselves (issue 4: "RTF and legacy
.doc/.xls/.ppt: converted"), so the conversion is the rebuild: LibreOffice reads the binary
format (macros never run, see office.py) and writes DOCX/XLSX/PPTX, and the OOXML handler
strips what LibreOffice carried over (author, comments, embedded objects, DDE...). Nothing
of the original binary structure survives: VBA storages, OLE object pools and property
sets are not re-expressed by the OOXML export, and whatever is, the OOXML cleaner removes.

Everything happens at ``open``: a password-protected file is refused from its own header
bytes (cfb.py) before LibreOffice sees it, and a file LibreOffice cannot read is refused as
corrupt. Without LibreOffice every such file is refused with ``converter_unavailable``.
"""

from __future__ import annotations

import re

from core.errors import CorruptFile
from handlers.base import Handler, Inspection, LabelStamp
from handlers.convert import filters
from handlers.convert.cfb import check_legacy
from handlers.detect import detect
from handlers.extract.ole import CFB_SIGNATURE, entry_names
from handlers.limits import check_size

#: Largest legacy or RTF file accepted (the converter's own limit is larger).
MAX_LEGACY_BYTES = 64 * 1024 * 1024
LEGACY_FORMAT = "legacy_format"
#: Compound-file storages and streams that hold macros, by legacy format.
_MACRO_ENTRIES = frozenset({"Macros", "_VBA_PROJECT_CUR", "VBA", "_VBA_PROJECT", "PROJECT"})
_OBJECT_ENTRIES = frozenset({"ObjectPool", "MBD", "Embedding", "Package"})
_PROPERTY_SETS = {"\x05SummaryInformation": "SummaryInformation",
                  "\x05DocumentSummaryInformation": "DocumentSummaryInformation"}
_RTF_INFO = re.compile(
    rb"\{\\(?:\*\\)?(title|subject|author|manager|company|operator|category|keywords|comment"
    rb"|doccomm|hlinkbase|creatim|revtim|printim|buptim|userprops)(?![a-z])")
_RTF_ACTIVE = {
    "embedded_objects": re.compile(rb"\\object(?![a-z])"),
    "dde_fields": re.compile(rb"\\fldinst[^}]{0,200}?\bDDE(?:AUTO)?\b"),
    "external_links": re.compile(rb"\\fldinst[^}]{0,200}?\b(?:INCLUDEPICTURE|INCLUDETEXT|LINK)\b"),
}


class LegacyOfficeHandler(Handler):
    """RTF, Word 97-2003, Excel 97-2003 and PowerPoint 97-2003, cleaned via OOXML."""

    #: application/rtf is a declared type only (libmagic says text/rtf); the converter
    #: still accepts it (filters.LEGACY_TYPES).
    mime_types = frozenset({"text/rtf", filters.LEGACY_WORD, filters.LEGACY_EXCEL,
                            filters.LEGACY_POWERPOINT})
    output_mime_types = frozenset({filters.DOCX, filters.XLSX, filters.PPTX})

    _mime: str
    _out_mime: str
    _inner: Handler

    def _load(self) -> None:
        check_size(self._untrusted_data, MAX_LEGACY_BYTES)
        self._mime = detect(self._untrusted_data).mime
        if self._mime in filters.RTF_TYPES:
            if not self._untrusted_data.lstrip()[:5] == b"{\\rtf":
                raise CorruptFile("not an RTF document")
        elif self._mime in filters.LEGACY_TYPES or self._untrusted_data.startswith(
                CFB_SIGNATURE):
            # A compound file is probed whatever libmagic called it: an encrypted OOXML
            # package ("application/encrypted") is refused as encrypted, not as unknown.
            check_legacy(self._untrusted_data, self._mime)
        else:
            raise CorruptFile("not an RTF or legacy Office document")
        from handlers.convert import to_ooxml  # the package imports this module

        converted, self._out_mime = to_ooxml(self._untrusted_data, self._mime)
        self._inner = self.output_verifier().open(converted, self.options)

    def inspect(self) -> Inspection:
        inner = self._inner.inspect()
        metadata, active = (_rtf_findings(self._untrusted_data) if self._mime in
                            filters.RTF_TYPES else _compound_findings(self._untrusted_data))
        return Inspection(
            mime=self._mime,
            metadata_keys=metadata,
            active_content=active,
            hidden_data={LEGACY_FORMAT: 1},
            properties={"converted_to": self._out_mime, **inner.properties},
            notices=inner.notices,
        )

    def extract_text(self) -> str:
        return self._inner.extract_text()

    def _sanitise(self) -> tuple[bytes, dict[str, int]]:
        cleaned = self._inner.clean()
        before = self.inspect()
        removed = {**before.active_content, **dict(self._inner.removed), LEGACY_FORMAT: 1}
        return cleaned, removed

    def output_mime(self) -> str:
        return self._out_mime

    def output_verifier(self) -> type[Handler]:
        return ooxml_handler(self._out_mime)

    @classmethod
    def write_label(cls, cleaned: bytes, stamp: LabelStamp) -> bytes:
        """Labels go into the OOXML output; its own handler writes them."""
        return ooxml_handler(detect(cleaned).mime).write_label(cleaned, stamp)

    @classmethod
    def read_label(cls, data: bytes) -> dict[str, object] | None:
        mime = detect(data).mime
        if mime not in cls.output_mime_types:
            return None  # a legacy file never carries our label: we never write one
        return ooxml_handler(mime).read_label(data)

    def close(self) -> None:
        inner = getattr(self, "_inner", None)
        if inner is not None:
            inner.close()


def ooxml_handler(mime: str) -> type[Handler]:
    """The handler that verifies and labels our OOXML output (the OOXML family). Looked up
    late: this is the one place to change if the family is reorganised."""
    from handlers.ooxml import ExcelHandler, PowerPointHandler, WordHandler

    verifiers: dict[str, type[Handler]] = {
        filters.DOCX: WordHandler, filters.XLSX: ExcelHandler, filters.PPTX: PowerPointHandler,
    }
    verifier = verifiers.get(mime)
    if verifier is None:
        raise CorruptFile("the converted document is not OOXML")
    return verifier


def _compound_findings(data: bytes) -> tuple[tuple[str, ...], dict[str, int]]:
    names = entry_names(data)
    metadata = tuple(sorted(_PROPERTY_SETS[n] for n in set(names) if n in _PROPERTY_SETS))
    active: dict[str, int] = {}
    macros = sum(1 for n in names if n in _MACRO_ENTRIES)
    objects = sum(1 for n in names if n in _OBJECT_ENTRIES or n.startswith("MBD"))
    if macros:
        active["vba_macros"] = macros
    if objects:
        active["embedded_objects"] = objects
    return metadata, active


def _rtf_findings(data: bytes) -> tuple[tuple[str, ...], dict[str, int]]:
    metadata = tuple(sorted({m.group(1).decode() for m in _RTF_INFO.finditer(data)}))
    active = {kind: n for kind, pattern in _RTF_ACTIVE.items()
              if (n := len(pattern.findall(data)))}
    return metadata, active
