"""What an OOXML package may keep: the allow-lists and the names of everything removed.

Rebuild from an allow-list (design, fail closed; Chiba 2(12) 無害化): a part survives only
when it is reached from the package root through relationships whose types are listed here
*and* its declared content type is one the relationship type allows. Everything else (VBA
projects, ActiveX, OLE objects, embedded packages, custom XML, comments, printer settings,
thumbnails, external targets, and any part type this table does not know) is dropped, and the
drop is counted under a removal kind. The document properties (docProps core/app/custom,
Saitama 第3 4(3) 属性情報) are dropped whole; ``write_label`` writes back our label only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

# --- Namespaces (Transitional and Strict spellings of each) --------------------------------
R_NAMESPACES = frozenset({
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
})
W_NAMESPACES = frozenset({
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
})
S_NAMESPACES = frozenset({
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
})
P_NAMESPACES = frozenset({
    "http://schemas.openxmlformats.org/presentationml/2006/main",
    "http://purl.oclc.org/ooxml/presentationml/main",
})
A_NAMESPACES = frozenset({
    "http://schemas.openxmlformats.org/drawingml/2006/main",
    "http://purl.oclc.org/ooxml/drawingml/main",
})
MC_NAMESPACE = "http://schemas.openxmlformats.org/markup-compatibility/2006"
RELS_NAMESPACE = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES_NAMESPACE = "http://schemas.openxmlformats.org/package/2006/content-types"

# --- Content types -------------------------------------------------------------------------
_OD = "application/vnd.openxmlformats-officedocument."
WML = _OD + "wordprocessingml."
SML = _OD + "spreadsheetml."
PML = _OD + "presentationml."
DML = _OD + "drawingml."
RELS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"
CUSTOM_PROPERTIES_TYPE = _OD + "custom-properties+xml"

#: Pictures kept (after a signature check; JPEG and PNG also lose their metadata segments).
IMAGE_TYPES = frozenset({
    "image/png", "image/jpeg", "image/jpg", "image/pjpeg", "image/gif", "image/bmp",
    "image/tiff", "image/x-emf", "image/emf", "image/x-wmf", "image/wmf", "image/vnd.ms-photo",
})

# --- Relationship types ----------------------------------------------------------------------
_STANDARD_PREFIXES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/",
)
_PACKAGE_PREFIX = "http://schemas.openxmlformats.org/package/2006/relationships/"
_MICROSOFT = re.compile(r"http://schemas\.microsoft\.com/office/\d{4}(?:/\d{2})?/relationships/"
                        r"(.+)")

OFFICE_DOCUMENT = "officeDocument"
CORE_PROPERTIES = "pkg:metadata/core-properties"
APP_PROPERTIES = "extended-properties"
CUSTOM_PROPERTIES = "custom-properties"
HYPERLINK = "hyperlink"
#: Full type URIs written by ``write_label`` and the rebuild.
CUSTOM_PROPERTIES_URI = _STANDARD_PREFIXES[0] + CUSTOM_PROPERTIES
HEADER_URI = _STANDARD_PREFIXES[0] + "header"
FOOTER_URI = _STANDARD_PREFIXES[0] + "footer"


def short_type(uri: str) -> str:
    """A relationship type without its namespace: ``styles``, ``ms:vbaProject``,
    ``pkg:metadata/thumbnail``; an unknown URI is returned whole (and matches nothing)."""
    for prefix in _STANDARD_PREFIXES:
        if uri.startswith(prefix):
            return uri[len(prefix):]
    if uri.startswith(_PACKAGE_PREFIX):
        return "pkg:" + uri[len(_PACKAGE_PREFIX):]
    microsoft = _MICROSOFT.fullmatch(uri)
    return "ms:" + microsoft.group(1) if microsoft else uri


def _types(*names: str) -> frozenset[str]:
    return frozenset(name.lower() for name in names)


#: Relationship type -> content types its target may have, for every family.
_COMMON: dict[str, frozenset[str]] = {
    "theme": _types(_OD + "theme+xml"),
    "themeOverride": _types(_OD + "themeOverride+xml"),
    "image": IMAGE_TYPES,
    "ms:hdphoto": _types("image/vnd.ms-photo"),
    "chart": _types(DML + "chart+xml"),
    "chartUserShapes": _types(DML + "chartshapes+xml"),
    "ms:chartStyle": _types("application/vnd.ms-office.chartstyle+xml"),
    "ms:chartColorStyle": _types("application/vnd.ms-office.chartcolorstyle+xml"),
    "diagramData": _types(DML + "diagramData+xml"),
    "diagramLayout": _types(DML + "diagramLayout+xml"),
    "diagramQuickStyle": _types(DML + "diagramStyle+xml"),
    "diagramColors": _types(DML + "diagramColors+xml"),
    "ms:diagramDrawing": _types("application/vnd.ms-office.drawingml.diagramDrawing+xml"),
}
WORD_ALLOWED: Mapping[str, frozenset[str]] = MappingProxyType({**_COMMON,
    "styles": _types(WML + "styles+xml"),
    "ms:stylesWithEffects": _types("application/vnd.ms-word.stylesWithEffects+xml"),
    "settings": _types(WML + "settings+xml"),
    "webSettings": _types(WML + "webSettings+xml"),
    "fontTable": _types(WML + "fontTable+xml"),
    "numbering": _types(WML + "numbering+xml"),
    "footnotes": _types(WML + "footnotes+xml"),
    "endnotes": _types(WML + "endnotes+xml"),
    "header": _types(WML + "header+xml"),
    "footer": _types(WML + "footer+xml"),
    "glossaryDocument": _types(WML + "document.glossary+xml"),
})
EXCEL_ALLOWED: Mapping[str, frozenset[str]] = MappingProxyType({**_COMMON,
    "worksheet": _types(SML + "worksheet+xml"),
    "chartsheet": _types(SML + "chartsheet+xml"),
    "sharedStrings": _types(SML + "sharedStrings+xml"),
    "styles": _types(SML + "styles+xml"),
    "drawing": _types(_OD + "drawing+xml"),
    "table": _types(SML + "table+xml"),
    "pivotTable": _types(SML + "pivotTable+xml"),
    "pivotCacheDefinition": _types(SML + "pivotCacheDefinition+xml"),
    "pivotCacheRecords": _types(SML + "pivotCacheRecords+xml"),
    "sheetMetadata": _types(SML + "sheetMetadata+xml"),
})
POWERPOINT_ALLOWED: Mapping[str, frozenset[str]] = MappingProxyType({**_COMMON,
    "slide": _types(PML + "slide+xml"),
    "slideLayout": _types(PML + "slideLayout+xml"),
    "slideMaster": _types(PML + "slideMaster+xml"),
    "notesSlide": _types(PML + "notesSlide+xml"),
    "notesMaster": _types(PML + "notesMaster+xml"),
    "handoutMaster": _types(PML + "handoutMaster+xml"),
    "presProps": _types(PML + "presProps+xml"),
    "viewProps": _types(PML + "viewProps+xml"),
    "tableStyles": _types(PML + "tableStyles+xml"),
})

# --- Removal kinds ---------------------------------------------------------------------------
VBA = "vba"
ACTIVEX = "activex"
OLE_OBJECT = "ole_object"
EMBEDDED_PACKAGE = "embedded_package"
EXTERNAL_TEMPLATE = "external_template"
EXTERNAL_IMAGE = "external_image"
EXTERNAL_OBJECT = "external_object"
EXTERNAL_DATA = "external_data"
EXTERNAL_MEDIA = "external_media"
EXTERNAL_OTHER = "external_other"
UNSAFE_LINK = "unsafe_link"
DDE = "dde"
EXTERNAL_FIELD = "external_field"
FIELD_OTHER = "field_other"
DANGEROUS_FORMULA = "dangerous_formula"
COMMENTS = "comments"
COMMENT_AUTHORS = "comment_authors"
COMMENT_ANCHORS = "comment_anchors"
CUSTOM_XML = "custom_xml"
PRINTER_SETTINGS = "printer_settings"
THUMBNAIL = "thumbnail"
UNKNOWN_PART = "unknown_part"
UNREFERENCED_PART = "unreferenced_part"
DANGLING_RELATIONSHIP = "dangling_relationship"
DANGLING_REFERENCE = "dangling_reference"
IMAGE_METADATA = "image_metadata"
RSID = "rsid"
REVISION_AUTHORS = "revision_authors"

#: Internal relationship types dropped, with the kind their removal is reported under.
DROPPED_KINDS: Mapping[str, str] = MappingProxyType({
    "ms:vbaProject": VBA, "ms:wordVbaData": VBA, "ms:keyMapCustomizations": VBA,
    "ms:vbaProjectSignature": VBA,
    "control": ACTIVEX, "ms:activeXControlBinary": ACTIVEX, "ctrlProp": "form_control",
    "oleObject": OLE_OBJECT, "package": EMBEDDED_PACKAGE,
    "attachedTemplate": EXTERNAL_TEMPLATE,
    "comments": COMMENTS, "ms:comments": COMMENTS, "ms:commentsExtended": COMMENTS,
    "ms:commentsIds": COMMENTS, "ms:commentsExtensible": COMMENTS,
    "ms:threadedComment": COMMENTS,
    "ms:people": COMMENT_AUTHORS, "ms:person": COMMENT_AUTHORS,
    "commentAuthors": COMMENT_AUTHORS, "ms:authors": COMMENT_AUTHORS,
    "customXml": CUSTOM_XML, "customXmlProps": CUSTOM_XML, "customProperty": CUSTOM_XML,
    "tags": "tags",
    "printerSettings": PRINTER_SETTINGS,
    "pkg:metadata/thumbnail": THUMBNAIL,
    "externalLink": EXTERNAL_DATA, "connections": EXTERNAL_DATA,
    "queryTable": EXTERNAL_DATA, "volatileDependencies": EXTERNAL_DATA,
    "mailMergeSource": EXTERNAL_DATA, "mailMergeHeaderSource": EXTERNAL_DATA,
    "recipientData": EXTERNAL_DATA, "subDocument": EXTERNAL_DATA, "frame": EXTERNAL_DATA,
    "slideUpdateInfo": EXTERNAL_DATA,
    "aFChunk": "alt_chunk",
    "font": "embedded_font",
    "ms:xlMacrosheet": "macro_sheet", "ms:xlIntlMacrosheet": "macro_sheet",
    "dialogsheet": "macro_sheet",
    "ms:ui/extensibility": "custom_ui",
    "ms:webextension": "web_extension", "ms:webextensiontaskpanes": "web_extension",
    "pkg:digital-signature/origin": "digital_signature",
    "vmlDrawing": "legacy_drawing",
    "revisionHeaders": "revision_log", "usernames": "revision_log",
    "video": "media", "audio": "media", "ms:media": "media",
    "ms:classificationlabels": "sensitivity_label",
})
#: External (TargetMode="External") relationship types other than hyperlinks -> kind.
EXTERNAL_KINDS: Mapping[str, str] = MappingProxyType({
    "attachedTemplate": EXTERNAL_TEMPLATE,
    "image": EXTERNAL_IMAGE, "ms:hdphoto": EXTERNAL_IMAGE,
    "oleObject": EXTERNAL_OBJECT, "package": EXTERNAL_OBJECT,
    "video": EXTERNAL_MEDIA, "audio": EXTERNAL_MEDIA, "ms:media": EXTERNAL_MEDIA,
    **dict.fromkeys(("externalLinkPath", "frame", "subDocument", "mailMergeSource",
                     "mailMergeHeaderSource", "recipientData", "dataSource",
                     "slideUpdateInfo", "xlExternalLinkPath/xlPathMissing"), EXTERNAL_DATA),
})
#: Property parts: dropped whole, their field names reported as metadata keys.
METADATA_PARTS = MappingProxyType({
    CORE_PROPERTIES: "core", APP_PROPERTIES: "app", CUSTOM_PROPERTIES: "custom",
})
#: Parts derived from others that Office rebuilds on open: dropped without being reported
#: (calcChain lists formula cells; a cell whose DDE formula was removed would make Excel
#: "repair" the file).
REGENERATED = frozenset({"calcChain"})

#: Kinds reported as active content (executable or reaching outside the file); every other
#: removal kind is hidden data.
ACTIVE_KINDS = frozenset({
    VBA, ACTIVEX, "form_control", OLE_OBJECT, EMBEDDED_PACKAGE, EXTERNAL_TEMPLATE,
    EXTERNAL_IMAGE, EXTERNAL_OBJECT, EXTERNAL_DATA, EXTERNAL_MEDIA, EXTERNAL_OTHER, HYPERLINK,
    UNSAFE_LINK, DDE, EXTERNAL_FIELD, FIELD_OTHER, DANGEROUS_FORMULA, "alt_chunk",
    "macro_sheet", "custom_ui", "web_extension", "macro_reference", "slide_action",
    "mail_merge",
})

#: Link schemes a kept hyperlink may use; file:, UNC paths and script schemes reach the
#: machine or leak credentials (NTLM) when clicked.
SAFE_LINK_SCHEMES = ("http://", "https://", "mailto:")


def safe_link(target: str) -> bool:
    return target.strip().lower().startswith(SAFE_LINK_SCHEMES)
