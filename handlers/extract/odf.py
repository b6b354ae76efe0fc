"""OpenDocument (ODT/ODS/ODP, LibreOffice and Ichitaro's ODF output).

content.xml (body, comments, tracked changes, notes, hidden text, sheets, slides and speaker
notes), styles.xml (page headers and footers), meta.xml (metadata) and the generic pass over
embedded objects (``Object 1/content.xml``: charts, formulas) and pictures. Members that
META-INF/manifest.xml lists with ``encryption-data`` are password-protected: they are not
read and the result says so; meta.xml is stored unencrypted and is still read.
"""

from __future__ import annotations

import re

from core.errors import SekishoError
from handlers.extract.collector import Collector
from handlers.extract.package import add_walked, read_rest
from handlers.extract.result import CORRUPT_PART, PASSWORD_PROTECTED
from handlers.extract.walkers import TextWalker
from handlers.extract.xmlsafe import element_text, parse_tree
from handlers.extract.zipsafe import SafeZip

MANIFEST = "META-INF/manifest.xml"
#: meta.xml element -> metadata key. In ODF dc:creator is the *last* editor.
META_PROPERTIES = {
    "initial-creator": "author", "creator": "last_modified_by", "generator": "creator_tool",
    "title": "title", "subject": "subject", "keyword": "keywords",
    "description": "description", "printed-by": "printed_by",
}
_HEADERS_FOOTERS = frozenset({"header", "footer", "header-left", "footer-left",
                              "header-first", "footer-first"})
#: Most spaces one ``text:s`` stands for (its count is attacker-chosen).
_MAX_SPACES = 100
_SKIP = re.compile(r"(mimetype|META-INF/.*|meta\.xml|settings\.xml|Thumbnails/.*"
                   r"|Configurations2/.*|ObjectReplacements/.*|layout-cache)")
_EMBEDDED = re.compile(r"(Pictures|Object \d+)/.+")


class OdfWalker(TextWalker):
    """ODF text with the side parts it came from."""

    def __init__(self) -> None:
        super().__init__()
        self._hidden_table_styles: set[str] = set()
        self._style = ""
        self._tables = 0
        self._pages = 0

    def on_start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "s" and self._paragraph_open():
            self.data(" " * min(_safe_int(attrs.get("c", "1")), _MAX_SPACES))
        elif tag == "hidden-text":
            self.data(attrs.get("string-value", ""))
            self.features.add("hidden_text")
        elif tag == "section" and attrs.get("display") == "none":
            self.features.add("hidden_text")
        elif tag == "insertion":
            self.features.add("tracked_insertions")
        elif tag == "style":
            self._style = attrs.get("name", "") if attrs.get("family") == "table" else ""
        elif tag == "table-properties" and attrs.get("display") == "false" and self._style:
            self._hidden_table_styles.add(self._style)
        else:
            self._structure(tag, attrs)

    def _structure(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "table" and "spreadsheet" in self.stack:
            self._tables += 1
            self.flush()
            if attrs.get("name", "").strip():
                self.lines.append(attrs["name"])  # the sheet name is content
            if attrs.get("style-name") in self._hidden_table_styles:
                self.features.add(f"hidden_sheet:{self._tables}")
        elif tag == "page" and "presentation" in self.stack:
            self._pages += 1
            if attrs.get("visibility") == "hidden":
                self.features.add(f"hidden_slide:{self._pages}")

    def data(self, text: str) -> None:
        stack = self.stack
        if "annotation" in stack and stack and stack[-1] == "creator":
            if text.strip():
                self.people["comment"].add(text.strip())
            return
        if "change-info" in stack:
            if stack and stack[-1] == "creator" and text.strip():
                self.people["revision"].add(text.strip())
            return
        if "annotation" in stack and stack[-1] == "date":
            return
        super().data(text)

    def on_text(self) -> None:
        self.features.update(
            feature for marker, feature in _SIDE_PARTS if marker in self.stack
        )

    def _paragraph_open(self) -> bool:
        return any(tag in {"p", "h", "span"} for tag in self.stack[-1:])


_SIDE_PARTS = (
    ("annotation", "comments"), ("tracked-changes", "tracked_changes"),
    ("deletion", "tracked_deletions"), ("note-body", "footnotes"),
    ("notes", "speaker_notes"),
    *((tag, "headers_footers") for tag in sorted(_HEADERS_FOOTERS)),
)


def _safe_int(value: str) -> int:
    return int(value) if value.isdigit() and len(value) < 6 else 1


def extract_odf(package: SafeZip, out: Collector) -> None:
    encrypted = _encrypted_members(package, out)
    handled: set[str] = set()
    for name in ("content.xml", "styles.xml"):
        info = package.find(name)
        if info is None:
            continue
        handled.add(info.filename)
        if info.filename in encrypted:
            out.add_incomplete(PASSWORD_PROTECTED, name)
            continue
        add_walked(package, info, out, OdfWalker())
    _metadata(package, out)
    read_rest(package, out, handled | encrypted, skip=lambda n: bool(_SKIP.fullmatch(n)),
              embedded=lambda n: bool(_EMBEDDED.fullmatch(n)) and not n.endswith(".xml"))
    if encrypted - handled:
        out.add_incomplete(PASSWORD_PROTECTED, "encrypted_members")


def _encrypted_members(package: SafeZip, out: Collector) -> set[str]:
    try:
        data = package.read_named(MANIFEST)
        tree = parse_tree(data) if data is not None else None
    except SekishoError:
        out.add_incomplete(CORRUPT_PART, MANIFEST)
        return set()
    if tree is None:
        return set()
    return {
        entry.get("full-path", "")
        for entry in tree.iter("file-entry")
        if any(child.tag == "encryption-data" for child in entry)
    }


def _metadata(package: SafeZip, out: Collector) -> None:
    try:
        data = package.read_named("meta.xml")
        tree = parse_tree(data) if data is not None else None
    except SekishoError:
        out.add_incomplete(CORRUPT_PART, "meta.xml")
        return
    if tree is None:
        return
    out.add_part("meta.xml")
    custom = []
    for element in tree.iter():
        if element.tag in META_PROPERTIES:
            out.add_metadata(META_PROPERTIES[element.tag], element_text(element))
        elif element.tag == "user-defined":
            custom.append(f"{element.get('name', '')}: {element_text(element).strip()}")
    out.add_text("\n".join(custom), "custom_properties")
