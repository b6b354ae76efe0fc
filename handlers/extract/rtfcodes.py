"""RTF vocabulary: destinations, control words that stand for text, code pages."""

from __future__ import annotations

import codecs

#: Destinations whose text is document text, mapped to the part name they are reported as.
TEXT_DESTINATIONS = {
    "header": "headers_footers", "headerl": "headers_footers", "headerr": "headers_footers",
    "headerf": "headers_footers", "footer": "headers_footers", "footerl": "headers_footers",
    "footerr": "headers_footers", "footerf": "headers_footers",
    "footnote": "footnotes",
    "annotation": "comments",
    # \*\fldinst is ignorable for a renderer, but holds hyperlink targets and mail-merge
    # sources (mailto: addresses): text for the classifier.
    "fldinst": "field_codes",
}
#: \info sub-destinations -> metadata key.
INFO_FIELDS = {
    "title": "title", "subject": "subject", "author": "author", "manager": "manager",
    "company": "company", "operator": "last_modified_by", "category": "category",
    "keywords": "keywords", "comment": "description", "doccomm": "description",
    "hlinkbase": "hyperlink_base",
}
#: Destinations listing people -> metadata key (comment authors, the revision author table).
PEOPLE_DESTINATIONS = {"atnauthor": "comment_authors", "revtbl": "revision_authors"}
#: Picture blip formats; PNG and JPEG are OCR'd, the others are reported as unread.
PICTURE_FORMATS = frozenset({"pngblip", "jpegblip", "emfblip", "wmetafile", "macpict",
                             "dibitmap", "wbitmap", "pmmetafile"})
#: Destinations that are never text (tables, binary data, layout), besides unknown \* ones.
SKIPPED_DESTINATIONS = frozenset({
    "colortbl", "stylesheet", "listtable", "listoverridetable", "rsidtbl", "generator",
    "themedata", "colorschememapping", "latentstyles", "datastore", "xmlnstbl", "pgdsctbl",
    "mmathPr", "filetbl", "objdata", "objclass", "nonshppict", "bkmkstart", "bkmkend",
    "atnid", "atndate", "atnref", "fontemb", "fontfile", "falt", "panose", "userprops",
    "docvar", "passwordhash", "protusertbl", "xmlopen", "xmlclose", "wgrffmtfilter",
    "template", "shpinst", "sp", "sn", "sv", "blipuid", "picprop", "tc", "tcn", "xe",
    "ftnsep", "ftnsepc", "aftnsep", "aftnsepc",
})
#: Control words that stand for characters.
WORD_TEXT = {
    "par": "\n", "line": "\n", "sect": "\n", "page": "\n", "row": "\n", "lbr": "\n",
    "cell": "\t", "nestcell": "\t", "tab": "\t",
    "emdash": "\u2014", "endash": "\u2013", "emspace": "\u2003", "enspace": "\u2002",
    "qmspace": "\u2005", "bullet": "\u2022", "lquote": "\u2018", "rquote": "\u2019",
    "ldblquote": "\u201c", "rdblquote": "\u201d", "zwj": "\u200d", "zwnj": "\u200c",
}
#: Control symbols that stand for characters (\\, \{ and \} are literal).
SYMBOL_TEXT = {
    "\\": "\\", "{": "{", "}": "}", "~": "\u00a0", "_": "\u2011", "\n": "\n", "\r": "\n",
    "|": "", "-": "", ":": "",
}
#: \fcharset values -> codec (0 ANSI, 1 default, 2 symbol: the document's \ansicpg).
_CHARSETS = {
    77: "mac_roman", 128: "cp932", 129: "cp949", 130: "johab", 134: "gbk", 136: "big5",
    161: "cp1253", 162: "cp1254", 163: "cp1258", 177: "cp1255", 178: "cp1256",
    186: "cp1257", 204: "cp1251", 222: "cp874", 238: "cp1250", 254: "cp437",
}
_CODEPAGES = {10000: "mac_roman", 10001: "shift_jis", 20932: "euc_jp", 50220: "iso2022_jp",
              50221: "iso2022_jp_ext", 50222: "iso2022_jp_ext", 51932: "euc_jp",
              65001: "utf-8", 932: "cp932"}


def codec_for_codepage(number: int) -> str | None:
    """A Windows code page number -> a Python codec that exists, or None."""
    name = _CODEPAGES.get(number, f"cp{number}")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def codec_for_charset(number: int) -> str | None:
    """An RTF font charset -> codec; None for "use the document's code page"."""
    return _CHARSETS.get(number)
