"""Judging Word field instructions and Excel formulas (Chiba 2(12) 無害化).

Word fields are allow-listed by name: a field that is not known to only compute, format or
cross-reference inside the document loses its instruction (its last displayed result stays as
plain text). DDE/DDEAUTO start programs; INCLUDETEXT, INCLUDEPICTURE, LINK, IMPORT and
DATABASE fetch from outside; MACROBUTTON runs a macro; PRINT sends raw printer codes.

Excel formulas keep their cached value and lose the formula when it starts a program
(DDE ``cmd|' /C calc'!A0``), reaches another workbook or a server (``[1]Sheet!A1``, RTD,
WEBSERVICE, IMAGE), or calls into code (CALL, REGISTER, EXEC).
"""

from __future__ import annotations

import re

from handlers.ooxml import policy

#: Fields that only compute, format or refer within the document.
SAFE_FIELDS = frozenset({
    "PAGE", "NUMPAGES", "SECTIONPAGES", "SECTION", "DATE", "TIME", "CREATEDATE", "SAVEDATE",
    "PRINTDATE", "EDITTIME", "TOC", "TOA", "TC", "TA", "XE", "INDEX", "REF", "PAGEREF",
    "NOTEREF", "STYLEREF", "SEQ", "SET", "IF", "COMPARE", "QUOTE", "SYMBOL", "EQ", "ADVANCE",
    "LISTNUM", "AUTONUM", "AUTONUMLGL", "AUTONUMOUT", "BIDIOUTLINE", "BARCODE",
    "DISPLAYBARCODE", "FORMTEXT", "FORMCHECKBOX", "FORMDROPDOWN", "GOTOBUTTON", "MERGEFIELD",
    "MERGEREC", "MERGESEQ", "NEXT", "NEXTIF", "SKIPIF", "ASK", "FILLIN", "AUTHOR",
    "LASTSAVEDBY", "TITLE", "SUBJECT", "KEYWORDS", "COMMENTS", "DOCPROPERTY", "DOCVARIABLE",
    "FILENAME", "FILESIZE", "NUMCHARS", "NUMWORDS", "REVNUM", "TEMPLATE", "USERNAME",
    "USERINITIALS", "USERADDRESS", "INFO", "CITATION", "BIBLIOGRAPHY", "ADDRESSBLOCK",
    "GREETINGLINE", "SHAPE",
})
DDE_FIELDS = frozenset({"DDE", "DDEAUTO"})
EXTERNAL_FIELDS = frozenset({"INCLUDETEXT", "INCLUDEPICTURE", "INCLUDE", "LINK", "IMPORT",
                             "DATABASE", "RD"})
_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
#: HYPERLINK switches that take an argument (the target is the first other argument).
_LINK_SWITCHES_WITH_ARGUMENT = frozenset({"\\l", "\\o", "\\t"})


def field_kind(instruction: str, remove_links: bool) -> str | None:
    """The removal kind of a field instruction, or None to keep it."""
    tokens = [(quoted, bare) for quoted, bare in _TOKEN.findall(instruction)]
    if not tokens:
        return None
    name = (tokens[0][1] or tokens[0][0]).upper()
    if name in DDE_FIELDS:
        return policy.DDE
    if name in EXTERNAL_FIELDS:
        return policy.EXTERNAL_FIELD
    if name == "HYPERLINK":
        return _hyperlink_kind(tokens[1:], remove_links)
    if name in SAFE_FIELDS or name.startswith("="):
        return None
    return policy.FIELD_OTHER


def _hyperlink_kind(arguments: list[tuple[str, str]], remove_links: bool) -> str | None:
    target: str | None = None
    skip_next = False
    for quoted, bare in arguments:
        if skip_next:
            skip_next = False
            continue
        if bare.lower() in _LINK_SWITCHES_WITH_ARGUMENT:
            skip_next = True
        elif not bare.startswith("\\") and target is None:
            target = quoted or bare
    if target is None:
        return None  # \l only: a jump to a bookmark in this document
    if remove_links:
        return policy.HYPERLINK
    return None if policy.safe_link(target) else policy.UNSAFE_LINK


_STRING_LITERAL = re.compile(r'"(?:[^"]|"")*"')
#: ``[1]Sheet1!A1`` or ``'[1]Sheet 1'!A1``: an index into the external workbook list.
_EXTERNAL_BOOK = re.compile(r"\[\d+\][^\[\]!]*!")
_CODE_FUNCTIONS = re.compile(
    r"(?<![\w.])(?:_xlfn\.|_xludf\.)?(RTD|CALL|REGISTER|REGISTER\.ID|EXEC|WEBSERVICE|IMAGE)"
    r"\s*\(", re.IGNORECASE)
_HYPERLINK_FUNCTION = re.compile(r"(?<![\w.])HYPERLINK\s*\(", re.IGNORECASE)
_URL_LIKE = re.compile(r"^(?:[a-z][a-z0-9+.\-]*:|\\\\)", re.IGNORECASE)


def formula_kind(formula: str, remove_links: bool) -> str | None:
    """The removal kind of an Excel formula, or None to keep it."""
    code = _STRING_LITERAL.sub('""', formula)
    if "|" in code:
        return policy.DDE
    if _EXTERNAL_BOOK.search(code):
        return policy.EXTERNAL_DATA
    if _CODE_FUNCTIONS.search(code):
        return policy.DANGEROUS_FORMULA
    if _HYPERLINK_FUNCTION.search(code):
        if remove_links:
            return policy.HYPERLINK
        if any(_unsafe_literal(s.group()[1:-1]) for s in _STRING_LITERAL.finditer(formula)):
            return policy.UNSAFE_LINK
    return None


def _unsafe_literal(text: str) -> bool:
    return bool(_URL_LIKE.match(text.strip())) and not policy.safe_link(text)
