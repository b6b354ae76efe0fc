"""The three document families: which main parts they accept, what they produce, which
relationships they keep and which filter rewrites each kept XML part.

The input type comes from the main part's content type, not from libmagic: libmagic names
OOXML files by the folder of their first entries, so it reports a .docm as .docx. A
macro-enabled file, template or slide show becomes the plain document of its family: the
main part's content type is rewritten and nothing that made it macro-enabled survives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from handlers.ooxml import policy
from handlers.ooxml.filters import PartFilter
from handlers.ooxml.limits import UnsupportedOfficeFormat
from handlers.ooxml.sheet import SheetFilter, WorkbookFilter
from handlers.ooxml.slide import SlideFilter
from handlers.ooxml.word import WordSettingsFilter, WordStoryFilter

_OOXML = "application/vnd.openxmlformats-officedocument."
DOCX = _OOXML + "wordprocessingml.document"
DOCM = "application/vnd.ms-word.document.macroenabled.12"
DOTX = _OOXML + "wordprocessingml.template"
DOTM = "application/vnd.ms-word.template.macroenabled.12"
XLSX = _OOXML + "spreadsheetml.sheet"
XLSM = "application/vnd.ms-excel.sheet.macroenabled.12"
XLTX = _OOXML + "spreadsheetml.template"
XLTM = "application/vnd.ms-excel.template.macroenabled.12"
PPTX = _OOXML + "presentationml.presentation"
PPTM = "application/vnd.ms-powerpoint.presentation.macroenabled.12"
PPSX = _OOXML + "presentationml.slideshow"
PPSM = "application/vnd.ms-powerpoint.slideshow.macroenabled.12"
POTX = _OOXML + "presentationml.template"
POTM = "application/vnd.ms-powerpoint.template.macroenabled.12"
#: Binary workbooks: refused (see UnsupportedOfficeFormat).
_XLSB_MAIN = "application/vnd.ms-excel.sheet.binary.macroenabled.main"

WORD_MAIN = policy.WML + "document.main+xml"
EXCEL_MAIN = policy.SML + "sheet.main+xml"
POWERPOINT_MAIN = policy.PML + "presentation.main+xml"


@dataclass(frozen=True)
class Family:
    name: str
    output_mime: str
    #: The main part's content type in the output.
    output_main_type: str
    #: Main part content type (lower case) -> the input's MIME type.
    main_types: Mapping[str, str]
    allowed: Mapping[str, frozenset[str]]
    #: Content type (lower case) -> the filter for parts of that type.
    filters: Mapping[str, type[PartFilter]]

    def filter_for(self, content_type: str) -> type[PartFilter]:
        return self.filters.get(content_type.lower(), PartFilter)

    @property
    def mime_types(self) -> frozenset[str]:
        return frozenset(self.main_types.values())


def _lower(mapping: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType({key.lower(): value for key, value in mapping.items()})


WORD = Family(
    name="word", output_mime=DOCX, output_main_type=WORD_MAIN,
    main_types=_lower({
        WORD_MAIN: DOCX,
        "application/vnd.ms-word.document.macroEnabled.main+xml": DOCM,
        policy.WML + "template.main+xml": DOTX,
        "application/vnd.ms-word.template.macroEnabledTemplate.main+xml": DOTM,
    }),
    allowed=policy.WORD_ALLOWED,
    filters=MappingProxyType({
        **{t.lower(): WordStoryFilter for t in (
            WORD_MAIN, "application/vnd.ms-word.document.macroEnabled.main+xml",
            policy.WML + "template.main+xml",
            "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
            policy.WML + "header+xml", policy.WML + "footer+xml",
            policy.WML + "footnotes+xml", policy.WML + "endnotes+xml",
            policy.WML + "document.glossary+xml")},
        (policy.WML + "settings+xml").lower(): WordSettingsFilter,
    }),
)
_EXCEL_MAINS = {
    EXCEL_MAIN: XLSX,
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": XLSM,
    policy.SML + "template.main+xml": XLTX,
    "application/vnd.ms-excel.template.macroEnabled.main+xml": XLTM,
}
EXCEL = Family(
    name="excel", output_mime=XLSX, output_main_type=EXCEL_MAIN,
    main_types=_lower(_EXCEL_MAINS),
    allowed=policy.EXCEL_ALLOWED,
    filters=MappingProxyType({
        **{t.lower(): WorkbookFilter for t in _EXCEL_MAINS},
        (policy.SML + "worksheet+xml").lower(): SheetFilter,
        (policy.SML + "chartsheet+xml").lower(): SheetFilter,
    }),
)
POWERPOINT = Family(
    name="powerpoint", output_mime=PPTX, output_main_type=POWERPOINT_MAIN,
    main_types=_lower({
        POWERPOINT_MAIN: PPTX,
        "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml": PPTM,
        policy.PML + "slideshow.main+xml": PPSX,
        "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml": PPSM,
        policy.PML + "template.main+xml": POTX,
        "application/vnd.ms-powerpoint.template.macroEnabled.main+xml": POTM,
    }),
    allowed=policy.POWERPOINT_ALLOWED,
    filters=MappingProxyType({
        (policy.PML + kind + "+xml").lower(): SlideFilter
        for kind in ("slide", "slideLayout", "slideMaster", "notesSlide", "notesMaster",
                     "handoutMaster")
    }),
)
FAMILIES = (WORD, EXCEL, POWERPOINT)


def family_of(main_type: str) -> Family | None:
    """The family whose main part has this content type (lower case), or None."""
    if main_type.startswith(_XLSB_MAIN):
        raise UnsupportedOfficeFormat("binary workbooks (.xlsb) are not sanitised")
    return next((f for f in FAMILIES if main_type in f.main_types), None)
