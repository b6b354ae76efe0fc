"""Content-type detection: the type comes from the bytes, never from the name.

Design invariant: "Content type comes from the bytes; a mismatch with the name or declared
type, or a polyglot, is a finding, never silently corrected." ``detect`` therefore never
raises for odd input; it reports what it saw and the registry decides what may run.
"""

from __future__ import annotations

import io
import mimetypes
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath

import magic

from core.errors import SekishoError
from handlers.findings import CONTENT_TYPE_MISMATCH, EMPTY_FILE, POLYGLOT, Finding

#: A PDF header this far into the file is still honoured by qpdf and poppler, while libmagic
#: calls the file octet-stream: such a file is a disguised PDF (environment.md).
PDF_HEADER_WINDOW = 1024
PDF_HEADER = b"%PDF-"
PDF_EOF = b"%%EOF"
#: Bytes tolerated after the last %%EOF: line ends, spaces, NUL padding from scanners.
_PDF_TRAILING_PADDING = b"\r\n\t \x00\x0c"

#: Generic declared types that say nothing about the content (mail clients, browsers).
_GENERIC_DECLARED = frozenset({"application/octet-stream", "binary/octet-stream", ""})

#: Spellings of the same type, mapped to one canonical name.
_ALIASES = {
    "text/xml": "application/xml",
    "application/x-zip-compressed": "application/zip",
    "application/x-zip": "application/zip",
    "application/csv": "text/csv",
    "text/x-markdown": "text/markdown",
    "application/x-pdf": "application/pdf",
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-ms-bmp": "image/bmp",  # older libmagic
    "application/cdfv2": "application/x-ole-storage",
    "application/x-cfb": "application/x-ole-storage",
}

#: Extensions the standard table lacks but Japanese offices use.
_EXTRA_EXTENSIONS = {
    ".log": "text/plain",
    ".msg": "application/vnd.ms-outlook",
    ".jtd": "application/x-js-taro",
}

#: Interchangeable plain-text flavours: bytes that libmagic calls one of these are harmless
#: under a name implying another (e.g. a CSV that libmagic only recognises as text/plain).
_PLAIN_TEXT = frozenset({
    "text/plain", "text/csv", "text/tab-separated-values", "text/markdown",
    "application/json", "application/xml",
})

#: ZIP-based containers: libmagic reports a docx/xlsx/odt it cannot fully recognise as
#: application/zip, and a renamed docx as docx. Either direction is the same container.
_ZIP_CONTAINERS = frozenset({
    "application/zip",
    "application/vnd.ms-word.document.macroenabled.12",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-powerpoint.presentation.macroenabled.12",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/epub+zip",
    "application/java-archive",
})

#: OLE2 compound files: legacy Office, Outlook .msg, Ichitaro.
_OLE_CONTAINERS = frozenset({
    "application/x-ole-storage", "application/msword", "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint", "application/vnd.ms-outlook", "application/x-js-taro",
})

#: Largest [Content_Types].xml / _rels/.rels read while detecting (real ones are a few KB).
_MAX_SNIFFED_MEMBER = 256 * 1024
_OOXML = "application/vnd.openxmlformats-officedocument."
#: Main part content type (lower case) -> MIME type of the package.
_OOXML_MAIN_TYPES = {
    _OOXML + "wordprocessingml.document.main+xml": _OOXML + "wordprocessingml.document",
    "application/vnd.ms-word.document.macroenabled.main+xml":
        "application/vnd.ms-word.document.macroenabled.12",
    _OOXML + "wordprocessingml.template.main+xml": _OOXML + "wordprocessingml.template",
    "application/vnd.ms-word.template.macroenabledtemplate.main+xml":
        "application/vnd.ms-word.template.macroenabled.12",
    _OOXML + "spreadsheetml.sheet.main+xml": _OOXML + "spreadsheetml.sheet",
    "application/vnd.ms-excel.sheet.macroenabled.main+xml":
        "application/vnd.ms-excel.sheet.macroenabled.12",
    _OOXML + "spreadsheetml.template.main+xml": _OOXML + "spreadsheetml.template",
    "application/vnd.ms-excel.template.macroenabled.main+xml":
        "application/vnd.ms-excel.template.macroenabled.12",
    _OOXML + "presentationml.presentation.main+xml": _OOXML + "presentationml.presentation",
    "application/vnd.ms-powerpoint.presentation.macroenabled.main+xml":
        "application/vnd.ms-powerpoint.presentation.macroenabled.12",
    _OOXML + "presentationml.slideshow.main+xml": _OOXML + "presentationml.slideshow",
    "application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml":
        "application/vnd.ms-powerpoint.slideshow.macroenabled.12",
    _OOXML + "presentationml.template.main+xml": _OOXML + "presentationml.template",
    "application/vnd.ms-powerpoint.template.macroenabled.main+xml":
        "application/vnd.ms-powerpoint.template.macroenabled.12",
}

# A private table built from Python's defaults only: the system's /etc/mime.types differs
# between machines, and detection must give the same answer everywhere.
_MIME_TABLE = mimetypes.MimeTypes(filenames=())


@dataclass(frozen=True, slots=True)
class Detection:
    """What the bytes are, what the name and sender claim, and what looked wrong."""

    mime: str
    extension_mime: str | None
    declared_mime: str | None
    findings: tuple[Finding, ...]

    def has(self, code: str) -> bool:
        return any(f.code == code for f in self.findings)

    def to_dict(self) -> dict[str, object]:
        return {
            "mime": self.mime,
            "extension_mime": self.extension_mime,
            "declared_mime": self.declared_mime,
            "findings": [f.to_dict() for f in self.findings],
        }


def normalise_mime(mime: str) -> str:
    """Lower-case, drop parameters (``; charset=...``) and map aliases to one name."""
    base = mime.split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def mime_from_name(filename: str) -> str | None:
    """The MIME type a file name's extension implies, or None for unknown extensions."""
    suffix = PurePath(filename).suffix.lower()
    if not suffix:
        return None
    if suffix in _EXTRA_EXTENSIONS:
        return _EXTRA_EXTENSIONS[suffix]
    guessed, _encoding = _MIME_TABLE.guess_type("x" + suffix, strict=False)
    return normalise_mime(guessed) if guessed else None


def sniff_mime(untrusted_data: bytes) -> str:
    """libmagic's verdict on the bytes themselves, made precise for OOXML packages."""
    detected = normalise_mime(magic.from_buffer(untrusted_data, mime=True))
    if detected in _ZIP_CONTAINERS:
        return _ooxml_mime(untrusted_data) or detected
    return detected


def _ooxml_mime(untrusted_data: bytes) -> str | None:
    """The OOXML type named by the package's main part, or None.

    libmagic names OOXML files by the folder of their third ZIP entry: it calls a .docm a
    .docx (macro-enabled files never get their own type) and a .docx whose entries come in
    another order plain application/zip. The content type of the officeDocument target in
    [Content_Types].xml is what Office itself goes by.
    """
    # Imported here: handlers.extract imports this module.
    from handlers.extract.xmlsafe import parse_tree

    try:
        with zipfile.ZipFile(io.BytesIO(untrusted_data)) as package:
            types = _small_member(package, "[Content_Types].xml")
            rels = _small_member(package, "_rels/.rels")
            if types is None or rels is None:
                return None
            main = next((r.get("Target", "") for r in parse_tree(rels).iter("Relationship")
                         if r.get("Type", "").endswith("/officeDocument")), "")
            wanted = "/" + main.lstrip("/").lower()
            content_type = next((o.get("ContentType", "") for o in parse_tree(types)
                                 if o.tag == "Override"
                                 and o.get("PartName", "").lower() == wanted), "")
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError,
            zlib.error, SekishoError):
        return None
    return _OOXML_MAIN_TYPES.get(content_type.lower())


def _small_member(package: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = package.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _MAX_SNIFFED_MEMBER or info.flag_bits & 0x1:
        return None
    with package.open(info) as stream:
        return stream.read(_MAX_SNIFFED_MEMBER + 1)


def compatible(detected: str, claimed: str) -> bool:
    """Whether a claimed type is an acceptable name for what the bytes are."""
    if detected == claimed:
        return True
    families = (_PLAIN_TEXT, _ZIP_CONTAINERS, _OLE_CONTAINERS)
    if any(detected in family and claimed in family for family in families):
        return True
    # Bytes that are merely plain text are harmless under any text-ish name (.html, .log…);
    # the reverse (HTML bytes named .txt) is not accepted.
    return detected == "text/plain" and claimed.startswith("text/")


def detect(
    untrusted_data: bytes, filename: str | None = None, declared_mime: str | None = None
) -> Detection:
    """Detect the content type from the bytes and compare it with the name and sender's type."""
    mime = sniff_mime(untrusted_data)
    extension_mime = mime_from_name(filename) if filename else None
    declared = normalise_mime(declared_mime) if declared_mime is not None else None
    if not untrusted_data:
        # Nothing to compare: an empty file matches no name, and saying so twice adds nothing.
        empty = Finding(EMPTY_FILE, "empty", "the file has no content")
        return Detection(mime, extension_mime, declared, (empty,))
    findings = [
        *_mismatch_findings(mime, extension_mime, declared),
        *_polyglot_findings(untrusted_data, mime),
    ]
    return Detection(mime, extension_mime, declared, tuple(findings))


def _mismatch_findings(
    mime: str, extension_mime: str | None, declared: str | None
) -> Iterator[Finding]:
    if extension_mime is not None and not compatible(mime, extension_mime):
        yield Finding(
            CONTENT_TYPE_MISMATCH, "extension",
            f"the name implies {extension_mime} but the content is {mime}",
        )
    if declared is not None and declared not in _GENERIC_DECLARED and not compatible(
        mime, declared
    ):
        yield Finding(
            CONTENT_TYPE_MISMATCH, "declared",
            f"the sender declared {declared} but the content is {mime}",
        )


def _polyglot_findings(untrusted_data: bytes, mime: str) -> Iterator[Finding]:
    header_at = untrusted_data.find(PDF_HEADER, 0, PDF_HEADER_WINDOW + len(PDF_HEADER))
    if header_at > 0:
        yield Finding(
            POLYGLOT, "pdf_header_offset",
            f"a PDF header starts at byte {header_at}, not at the start of the file",
        )
    if mime not in _ZIP_CONTAINERS and _contains_zip(untrusted_data):
        yield Finding(POLYGLOT, "embedded_zip", f"a ZIP archive is hidden inside {mime} content")
    if mime == "application/pdf" and _has_data_after_pdf_eof(untrusted_data):
        yield Finding(POLYGLOT, "data_after_eof", "data follows the PDF's last %%EOF marker")


def _contains_zip(untrusted_data: bytes) -> bool:
    # is_zipfile finds an end-of-central-directory record near the end of the buffer: exactly
    # what an appended archive leaves behind. A damaged record must not crash detection.
    try:
        return zipfile.is_zipfile(io.BytesIO(untrusted_data))
    except (OSError, ValueError):
        return False


def _has_data_after_pdf_eof(untrusted_data: bytes) -> bool:
    last_eof = untrusted_data.rfind(PDF_EOF)
    if last_eof < 0:
        return False
    trailing = untrusted_data[last_eof + len(PDF_EOF):]
    return bool(trailing.strip(_PDF_TRAILING_PADDING))
