"""The ODF package: members sorted into rebuilt, cleaned and dropped, and the new ZIP.

Allow-list (design: rebuild from an allow-list, fail closed): ``mimetype`` (first and
stored, as ODF and libmagic require), a new ``META-INF/manifest.xml`` listing only what is
kept, content.xml, styles.xml, meta.xml and settings.xml rebuilt, and ``Pictures/*`` each
re-encoded through the image handlers (a photo inside a document carries EXIF and GPS like
any other). Everything else is dropped and counted: Basic and script libraries and dialogs
(``Basic/``, ``Scripts/``, ``Dialogs/``), embedded objects and their replacement pictures,
``Configurations2/`` (toolbars and menus can call macros), thumbnails, embedded fonts,
media, ``manifest.rdf``, the layout cache, signatures (signer names; invalid after a
rebuild anyway), and any member we do not know. ZIP entry dates are fixed: the original
timestamps say when the author worked on the file.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, SubElement

from core.errors import (
    ContentRejected,
    CorruptFile,
    EncryptedContent,
    LimitExceeded,
    UnsupportedContent,
)
from handlers.detect import sniff_mime
from handlers.extract.collector import Budget
from handlers.extract.xmlsafe import parse_tree
from handlers.extract.zipsafe import SafeZip
from handlers.image import IMAGE_HANDLERS
from handlers.odf.names import MANIFEST, qn
from handlers.odf.xmltree import Part, serialise

MIMETYPE = "mimetype"
MANIFEST_PATH = "META-INF/manifest.xml"
XML_MEDIA_TYPE = "text/xml"
#: Date of every entry written (the earliest a ZIP can record).
ENTRY_DATE = (1980, 1, 1, 0, 0, 0)
#: Most pictures cleaned in one document (each one is decoded and re-encoded).
MAX_ODF_PICTURES = 2_000
_PICTURE = re.compile(r"Pictures/[^/\\:\x00-\x1f]{1,200}")
_IMAGE_HANDLERS = {handler.mime: handler for handler in IMAGE_HANDLERS}

# Package-level removal kinds.
MACROS = "macros"
OBJECT_PARTS = "object_parts"
UI_CONFIGURATION = "ui_configuration"
PICTURE_METADATA = "picture_metadata"
UNSUPPORTED_PICTURES = "unsupported_pictures"
UNREADABLE_PICTURES = "unreadable_pictures"
#: Member prefix -> (active?, kind).
_DROPPED_PREFIXES = (
    ("Basic/", True, MACROS), ("Scripts/", True, MACROS), ("Dialogs/", True, MACROS),
    ("ObjectReplacements/", True, OBJECT_PARTS), ("Configurations2/", True, UI_CONFIGURATION),
    ("Thumbnails/", False, "thumbnails"), ("Fonts/", False, "embedded_fonts"),
    ("Media/", False, "media"), ("manifest.rdf", False, "rdf_metadata"),
    ("layout-cache", False, "layout_cache"), ("META-INF/", False, "signatures"),
)
_OBJECT = re.compile(r"Object \d{1,6}/.*")
_KEPT_NAMES = frozenset({MIMETYPE, MANIFEST_PATH, "content.xml", "styles.xml", "meta.xml",
                         "settings.xml"})


class TooManyPictures(LimitExceeded):
    code = "too_many_pictures"
    default_message = "the document holds more pictures than the sanitiser cleans"


class OdfPackageInvalid(CorruptFile):
    code = "odf_package_invalid"
    default_message = "the OpenDocument package is not valid"


@dataclass(frozen=True)
class Picture:
    data: bytes
    mime: str


@dataclass
class Package:
    archive: SafeZip
    active: Counter[str] = field(default_factory=Counter)
    hidden: Counter[str] = field(default_factory=Counter)
    #: Kept pictures, already cleaned by their image handler.
    pictures: dict[str, Picture] = field(default_factory=dict)

    def read(self, name: str) -> bytes | None:
        info = next((i for i in self.archive.members if i.filename == name), None)
        return None if info is None else self.archive.read(info)


def read_package(untrusted_data: bytes, mime: str) -> Package:
    """Validate the package (type, encryption, duplicates) and sort its members."""
    package = Package(SafeZip(untrusted_data, Budget()))
    names = package.archive.names()
    if len({name.lower() for name in names}) != len(names):
        # Two entries with one name: readers disagree on which one counts.
        raise OdfPackageInvalid("the package holds two members with the same name")
    declared = (package.read(MIMETYPE) or b"").strip()
    if declared != mime.encode("ascii") or "content.xml" not in names:
        raise OdfPackageInvalid("the package's mimetype or content part is missing or wrong")
    _refuse_encryption(package)
    pictures = [name for name in names if _PICTURE.fullmatch(name)]
    if len(pictures) > MAX_ODF_PICTURES:
        raise TooManyPictures(f"more than {MAX_ODF_PICTURES} pictures")
    for name in names:
        if name in _KEPT_NAMES:
            continue
        if name in pictures:
            _take_picture(package, name)
        else:
            _drop(package, name)
    return package


def _refuse_encryption(package: Package) -> None:
    manifest = package.read(MANIFEST_PATH)
    if manifest is None:
        raise OdfPackageInvalid("the package has no manifest")
    if any(entry.tag == "encryption-data" for entry in parse_tree(manifest).iter()):
        raise EncryptedContent("the document is password-protected")


def _drop(package: Package, name: str) -> None:
    if _OBJECT.fullmatch(name):
        package.active[OBJECT_PARTS] += 1
        return
    for prefix, active, kind in _DROPPED_PREFIXES:
        if name.startswith(prefix):
            (package.active if active else package.hidden)[kind] += 1
            return
    package.hidden["unknown_parts"] += 1


def _take_picture(package: Package, name: str) -> None:
    try:
        data = package.read(name) or b""
    except ContentRejected:
        package.hidden[UNREADABLE_PICTURES] += 1
        return
    handler = _IMAGE_HANDLERS.get(sniff_mime(data))
    if handler is None:
        package.hidden[UNSUPPORTED_PICTURES] += 1  # SVG, EMF/WMF, SVM: not re-encodable
        return
    try:
        with handler.open(data) as image:
            dirty = bool(image.inspect().problems())
            package.pictures[name] = Picture(image.clean(), handler.mime)
    except (ContentRejected, UnsupportedContent):
        package.hidden[UNREADABLE_PICTURES] += 1
        return
    if dirty:
        package.hidden[PICTURE_METADATA] += 1


def write_package(mime: str, version: str | None, parts: list[tuple[str, bytes, str]]) -> bytes:
    """A new package: ``mimetype`` first and stored, the manifest, then ``parts``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo(MIMETYPE, ENTRY_DATE), mime.encode("ascii"),
                         compress_type=zipfile.ZIP_STORED)
        manifest = _manifest(mime, version, parts)
        for name, data, media_type in [(MANIFEST_PATH, manifest, XML_MEDIA_TYPE), *parts]:
            compression = zipfile.ZIP_DEFLATED if media_type == XML_MEDIA_TYPE else (
                zipfile.ZIP_STORED)
            archive.writestr(zipfile.ZipInfo(name, ENTRY_DATE), data, compress_type=compression)
    return out.getvalue()


def _manifest(mime: str, version: str | None, parts: list[tuple[str, bytes, str]]) -> bytes:
    versioned = version is not None and version >= "1.2"
    root = Element(qn(MANIFEST, "manifest"),
                   {qn(MANIFEST, "version"): version} if versioned and version else {})
    entry = qn(MANIFEST, "file-entry")
    top = {qn(MANIFEST, "full-path"): "/", qn(MANIFEST, "media-type"): mime}
    if versioned and version:
        top[qn(MANIFEST, "version")] = version
    SubElement(root, entry, top)
    for name, _data, media_type in parts:
        SubElement(root, entry, {qn(MANIFEST, "full-path"): name,
                                 qn(MANIFEST, "media-type"): media_type})
    return serialise(Part(root))
