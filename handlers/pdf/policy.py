"""What the PDF sanitiser keeps and removes: allow-lists, removal kinds and their names.

Kinds are stable snake_case codes used in inspection reports and removal counts. The rules
follow the design's "rebuild from an allow-list, fail closed": the catalog, its /Names
dictionary, the trailer and action types are allow-listed; anything not recognised there is
removed. Removal of metadata implements Saitama 第3 4(3) (属性情報) and Chiba 2(12) (無害化).
"""

from __future__ import annotations

from pikepdf import Name

# --- kinds: hidden data (metadata and other invisible payloads) ---
DOCUMENT_INFO = "document_info"
XMP_METADATA = "xmp_metadata"
PIECE_INFO = "piece_info"
THUMBNAIL = "thumbnail"
WEB_CAPTURE = "web_capture"
CATALOG_OTHER = "catalog_other"
NAMES_OTHER = "names_other"
TRAILER_OTHER = "trailer_other"

# --- kinds: active content (executes, reaches outward, or carries files) ---
JAVASCRIPT = "javascript"
OPEN_ACTION = "open_action"
ADDITIONAL_ACTIONS = "additional_actions"
ACTION_LAUNCH = "action_launch"
ACTION_SUBMIT_FORM = "action_submit_form"
ACTION_IMPORT_DATA = "action_import_data"
ACTION_REMOTE_GOTO = "action_remote_goto"
ACTION_EMBEDDED_GOTO = "action_embedded_goto"
ACTION_URI = "action_uri"
ACTION_NAMED = "action_named"
ACTION_OTHER = "action_other"
RICH_MEDIA = "rich_media"
MULTIMEDIA = "multimedia"
XFA = "xfa"
EMBEDDED_FILES = "embedded_files"
ASSOCIATED_FILES = "associated_files"
PORTFOLIO = "portfolio"
USAGE_RIGHTS = "usage_rights"
#: Only with the profile option ``remove_links`` (CleanOptions): a link annotation whose
#: action leaves the document, and the catalog's base /URI.
LINK_ANNOTATION = "link_annotation"
BASE_URI = "base_uri"

HIDDEN_DATA_KINDS = frozenset({
    DOCUMENT_INFO, XMP_METADATA, PIECE_INFO, THUMBNAIL, WEB_CAPTURE,
    CATALOG_OTHER, NAMES_OTHER, TRAILER_OTHER,
})

#: Keys removed wherever they appear, whatever their value.
REMOVE_KEYS_EVERYWHERE: dict[Name, str] = {
    Name("/JS"): JAVASCRIPT,
    Name("/AA"): ADDITIONAL_ACTIONS,
    Name("/OpenAction"): OPEN_ACTION,
    Name("/Metadata"): XMP_METADATA,
    Name("/PieceInfo"): PIECE_INFO,
    Name("/Thumb"): THUMBNAIL,
    Name("/EF"): EMBEDDED_FILES,
    Name("/AF"): ASSOCIATED_FILES,
    Name("/XFA"): XFA,
    Name("/RichMediaContent"): RICH_MEDIA,
    Name("/RichMediaSettings"): RICH_MEDIA,
    Name("/3DD"): MULTIMEDIA,
}

#: Catalog entries kept. Everything else on the catalog is removed.
CATALOG_ALLOWED = frozenset(Name(n) for n in (
    "/Type", "/Version", "/Extensions", "/Pages", "/PageLabels", "/Names", "/Dests",
    "/ViewerPreferences", "/PageLayout", "/PageMode", "/Outlines", "/Threads", "/URI",
    "/AcroForm", "/StructTreeRoot", "/MarkInfo", "/Lang", "/OutputIntents", "/OCProperties",
))
#: Kinds for catalog entries that are removed and have a better name than catalog_other.
CATALOG_REMOVED_KINDS: dict[Name, str] = {
    Name("/Collection"): PORTFOLIO,
    Name("/NeedsRendering"): XFA,
    Name("/SpiderInfo"): WEB_CAPTURE,
    Name("/Perms"): USAGE_RIGHTS,
}

#: Name trees kept in the catalog's /Names: destinations and appearance streams only.
NAMES_ALLOWED = frozenset({Name("/Dests"), Name("/AP")})
NAMES_REMOVED_KINDS: dict[Name, str] = {
    Name("/JavaScript"): JAVASCRIPT,
    Name("/EmbeddedFiles"): EMBEDDED_FILES,
    Name("/Renditions"): MULTIMEDIA,
    Name("/AlternatePresentations"): MULTIMEDIA,
    Name("/IDS"): WEB_CAPTURE,
    Name("/URLS"): WEB_CAPTURE,
}

#: Trailer keys that are cross-reference machinery (qpdf rebuilds them on write). /Info is
#: handled separately; any other key would be copied verbatim into the output by qpdf.
TRAILER_ALLOWED = frozenset(Name(n) for n in (
    "/Root", "/Size", "/ID", "/Prev", "/XRefStm",
    "/Type", "/W", "/Index", "/Filter", "/DecodeParms", "/Length",
))
INFO = Name("/Info")
ROOT = Name("/Root")
NAMES = Name("/Names")

#: Every action type of ISO 32000-2 §12.6.4, used to recognise action dictionaries.
ACTION_TYPES = frozenset(Name(n) for n in (
    "/GoTo", "/GoToR", "/GoToE", "/GoToDp", "/Launch", "/Thread", "/URI", "/Sound", "/Movie",
    "/Hide", "/Named", "/SubmitForm", "/ResetForm", "/ImportData", "/JavaScript",
    "/SetOCGState", "/Rendition", "/Trans", "/GoTo3DView", "/RichMediaExecute",
))
#: Action types kept: in-document navigation, web links, and clearing a form.
SAFE_ACTION_TYPES = frozenset(Name(n) for n in ("/GoTo", "/URI", "/Named", "/ResetForm"))
#: Schemes a kept /URI action may use; file: or javascript: would reach the machine.
SAFE_URI_SCHEMES = ("http://", "https://", "mailto:")
#: Named actions kept: page navigation. Viewers also run arbitrary menu items by name.
SAFE_NAMED_ACTIONS = frozenset(
    Name(n) for n in ("/NextPage", "/PrevPage", "/FirstPage", "/LastPage")
)
DANGEROUS_ACTION_KINDS: dict[Name, str] = {
    Name("/JavaScript"): JAVASCRIPT,
    Name("/Launch"): ACTION_LAUNCH,
    Name("/SubmitForm"): ACTION_SUBMIT_FORM,
    Name("/ImportData"): ACTION_IMPORT_DATA,
    Name("/GoToR"): ACTION_REMOTE_GOTO,
    Name("/GoToE"): ACTION_EMBEDDED_GOTO,
    Name("/RichMediaExecute"): RICH_MEDIA,
    Name("/Rendition"): MULTIMEDIA,
    Name("/Movie"): MULTIMEDIA,
    Name("/Sound"): MULTIMEDIA,
    Name("/URI"): ACTION_URI,
    Name("/Named"): ACTION_NAMED,
}

#: Annotation subtypes that play media or 3D content (Flash, video, U3D with JavaScript).
MEDIA_ANNOTATION_KINDS: dict[Name, str] = {
    Name("/RichMedia"): RICH_MEDIA,
    Name("/Screen"): MULTIMEDIA,
    Name("/Movie"): MULTIMEDIA,
    Name("/Sound"): MULTIMEDIA,
    Name("/3D"): MULTIMEDIA,
}
EMBEDDED_FILE_TYPE = Name("/EmbeddedFile")
LINK_SUBTYPE = Name("/Link")
URI_ACTION = Name("/URI")
CATALOG_URI = Name("/URI")
METADATA = Name("/Metadata")
