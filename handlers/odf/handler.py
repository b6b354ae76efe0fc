"""OpenDocument handlers (ODT, ODS, ODP): the package rebuilt from an allow-list.

Open validates at once: the ZIP within the extractor's bomb limits, one ``mimetype`` that
matches the detected type, no password-protected members (EncryptedContent), every kept XML
part free of DTDs and within the depth and element bounds, the body of the right kind, and
every picture decoded by its image handler. Cleaning (Chiba 2(12) 無害化; Saitama 第3 4(3)
属性情報) writes a new package: see handlers/odf/package.py for the members kept,
handlers/odf/scrub.py for what leaves content.xml and styles.xml, handlers/odf/meta.py for
meta.xml and settings.xml. Tracked changes and hidden content are kept and reported as
notices (handlers/odf/notices.py). Labels: meta.xml's user-defined property plus a visible
line (handlers/odf/label.py; Chiba 6.2(2), LBL-01).
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar
from xml.etree.ElementTree import Element

from handlers.base import Handler, Inspection, LabelStamp, PropertyValue
from handlers.extract import extract
from handlers.extract.collector import Budget
from handlers.extract.zipsafe import SafeZip
from handlers.labelcodec import encode_label
from handlers.odf.label import (
    page_styles_in_use,
    show_background_objects,
    stamp_master_slides,
    stamp_page_headers,
)
from handlers.odf.meta import (
    LABEL_KEY,
    build_meta,
    build_settings,
    filter_settings,
    label_in,
    meta_keys,
)
from handlers.odf.names import OFFICE, qn
from handlers.odf.package import (
    XML_MEDIA_TYPE,
    OdfPackageInvalid,
    Package,
    read_package,
    write_package,
)
from handlers.odf.scrub import HIDDEN_DATA_KINDS, Scrubber
from handlers.odf.xmltree import Part, parse_part, serialise

ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
_VERSIONS = frozenset({"1.0", "1.1", "1.2", "1.3", "1.4"})
_ROOTS = {"content.xml": "document-content", "styles.xml": "document-styles",
          "meta.xml": "document-meta", "settings.xml": "document-settings"}


class OdfHandler(Handler):
    """One ODF document kind; subclasses name the MIME type, body and label placement."""

    mime: ClassVar[str]
    #: office:body's child for this kind (office:text, office:spreadsheet, ...).
    body: ClassVar[str]
    label_metadata_keys: ClassVar[frozenset[str]] = frozenset({LABEL_KEY})

    _package: Package
    _parts: dict[str, Part]
    _scrubber: Scrubber
    _version: str | None

    def _load(self) -> None:
        self._package = read_package(self._untrusted_data, self.mime)
        self._scrubber = Scrubber(frozenset(self._package.pictures),
                                  remove_links=self.options.remove_links)
        self._parts = {}
        for name in _ROOTS:
            data = self._package.read(name)
            if data is not None:
                self._parts[name] = self._part(name, data)
        content = self._parts["content.xml"].root
        if content.find(f"{qn(OFFICE, 'body')}/{qn(OFFICE, self.body)}") is None:
            raise OdfPackageInvalid(f"the document body is not office:{self.body}")
        version = content.get(qn(OFFICE, "version"))
        self._version = version if version in _VERSIONS else None
        for name in ("content.xml", "styles.xml"):
            if name in self._parts:
                self._scrubber.scrub(self._parts[name].root)

    @staticmethod
    def _part(name: str, data: bytes) -> Part:
        part = parse_part(data)
        if part.root.tag != qn(OFFICE, _ROOTS[name]):
            raise OdfPackageInvalid(f"{name} is not an office:{_ROOTS[name]}")
        return part

    def inspect(self) -> Inspection:
        removed = self._scrubber.removed
        active = self._package.active + Counter(
            {k: n for k, n in removed.items() if k not in HIDDEN_DATA_KINDS})
        hidden = self._package.hidden + Counter(
            {k: n for k, n in removed.items() if k in HIDDEN_DATA_KINDS})
        hidden += filter_settings(self._parts.get("settings.xml"))[1]
        return Inspection(
            mime=self.mime,
            metadata_keys=tuple(meta_keys(self._parts.get("meta.xml"))),
            active_content=dict(active),
            hidden_data=dict(hidden),
            properties=self._properties(),
            notices=dict(self._scrubber.notices.counts),
        )

    def _properties(self) -> dict[str, PropertyValue]:
        return {"odf_version": self._version or "", "pictures": len(self._package.pictures),
                "hyperlinks": self._scrubber.hyperlinks,
                "members": len(self._package.archive.members)}

    def extract_text(self) -> str:
        # The classifier's own reader, over the original bytes: comments, tracked deletions
        # and hidden text are included, because they are in the file that was uploaded.
        return extract(self._untrusted_data, self.mime, ocr=False).text

    def _sanitise(self) -> tuple[bytes, dict[str, int]]:
        return self._build(label=None), self.inspect().removable()

    def _build(self, label: str | None) -> bytes:
        parts: list[tuple[str, bytes, str]] = [
            (name, serialise(self._parts[name]), XML_MEDIA_TYPE)
            for name in ("content.xml", "styles.xml") if name in self._parts
        ]
        parts.append(("meta.xml", build_meta(self._parts.get("meta.xml"), self._version, label),
                      XML_MEDIA_TYPE))
        kept_settings = filter_settings(self._parts.get("settings.xml"))[0]
        settings = build_settings(kept_settings, self._version)
        if settings is not None:
            parts.append(("settings.xml", settings, XML_MEDIA_TYPE))
        parts += [(name, picture.data, picture.mime)
                  for name, picture in sorted(self._package.pictures.items())]
        return write_package(self.mime, self._version, parts)

    @classmethod
    def write_label(cls, cleaned: bytes, stamp: LabelStamp) -> bytes:
        # Only a verified clean file is labelled, and the labelled file is verified again:
        # it may differ from the clean one by the label alone.
        cls.verify(cleaned)
        encoded = encode_label(stamp.label)
        visible = "".join(c for c in stamp.visible if c >= " ")
        with cls.open(cleaned) as document:
            if visible:
                document._stamp(document._styles_root(), visible)
            labelled = document._build(label=encoded)
        cls.verify(labelled)
        return labelled

    def _styles_root(self) -> Element:
        if "styles.xml" not in self._parts:
            attributes = {} if self._version is None else {qn(OFFICE, "version"): self._version}
            self._parts["styles.xml"] = Part(Element(qn(OFFICE, "document-styles"), attributes))
        return self._parts["styles.xml"].root

    def _stamp(self, styles: Element, visible: str) -> None:
        """Put the visible label line where this kind of document shows it on every page."""
        raise NotImplementedError

    def _page_styles(self, default: str) -> set[str]:
        return page_styles_in_use(self._parts["content.xml"].root, default) | (
            page_styles_in_use(self._styles_root(), default))

    @classmethod
    def read_label(cls, data: bytes) -> dict[str, object] | None:
        meta = SafeZip(data, Budget()).read_named("meta.xml")
        return None if meta is None else label_in(parse_part(meta))


class OdtHandler(OdfHandler):
    mime = ODT
    mime_types = frozenset({ODT})
    output_mime_types = frozenset({ODT})
    body = "text"

    def _stamp(self, styles: Element, visible: str) -> None:
        stamp_page_headers(styles, visible, self._page_styles("Standard"))


class OdsHandler(OdfHandler):
    mime = ODS
    mime_types = frozenset({ODS})
    output_mime_types = frozenset({ODS})
    body = "spreadsheet"

    def _stamp(self, styles: Element, visible: str) -> None:
        stamp_page_headers(styles, visible, self._page_styles("Default"))


class OdpHandler(OdfHandler):
    mime = ODP
    mime_types = frozenset({ODP})
    output_mime_types = frozenset({ODP})
    body = "presentation"

    def _stamp(self, styles: Element, visible: str) -> None:
        stamp_master_slides(styles, visible)
        show_background_objects(styles)
        show_background_objects(self._parts["content.xml"].root)


ODF_HANDLERS: tuple[type[OdfHandler], ...] = (OdtHandler, OdsHandler, OdpHandler)
