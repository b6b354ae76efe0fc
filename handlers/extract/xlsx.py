"""SpreadsheetML (XLSX/XLSM/XLTX): every sheet, hidden ones included, with cell comments.

Cells are read from each sheet's XML, in workbook order: shared strings are resolved, inline
strings and cached formula results read, numbers kept as written (a My Number is usually a
number cell). Sheet names, print headers/footers, legacy and threaded comments and their
authors are read too. Hidden and "very hidden" sheets (state="veryHidden" is invisible even in
Excel's unhide dialog) are read like any other and named ``hidden_sheet:N`` /
``very_hidden_sheet:N`` by position: the sheet's own name is content, not a part name.
"""

from __future__ import annotations

import posixpath
import re
import zipfile

from core.errors import SekishoError
from handlers.extract.collector import Collector
from handlers.extract.package import add_walked, member_part, read_member, walk_member
from handlers.extract.result import CORRUPT_PART
from handlers.extract.walkers import TextWalker
from handlers.extract.xmlsafe import parse_tree
from handlers.extract.zipsafe import SafeZip

_HEADER_FOOTER = frozenset({"oddHeader", "oddFooter", "evenHeader", "evenFooter",
                            "firstHeader", "firstFooter"})
#: Formatting codes in print headers/footers (&L &C &R, &P page, &"font", &12 size).
_HEADER_CODES = re.compile(r'&"[^"]*"|&\d+|&[LCRPNDTZFAGBIUESHOKX&]')
_LEGACY_COMMENTS = re.compile(r"xl/comments\d*\.xml")
_THREADED_COMMENTS = re.compile(r"xl/threadedComments/\w+\.xml")
_PERSONS = re.compile(r"xl/persons/\w+\.xml")
_SHEET_STATES = {"hidden": "hidden_sheet", "veryHidden": "very_hidden_sheet"}


class SharedStringsWalker(TextWalker):
    """The shared string table; a phonetic reading (ルビ) follows its string after a space."""

    def __init__(self) -> None:
        super().__init__()
        self.strings: list[str] = []
        self._main: list[str] = []
        self._reading: list[str] = []

    def on_start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "si":
            self._main, self._reading = [], []

    def on_end(self, tag: str) -> None:
        if tag == "si":
            reading = "".join(self._reading)
            self.strings.append("".join(self._main) + (f" {reading}" if reading else ""))

    def data(self, text: str) -> None:
        if self.stack and self.stack[-1] == "t":
            (self._reading if "rPh" in self.stack else self._main).append(text)


class SheetWalker(TextWalker):
    """One worksheet: a tab-separated line per row, then print headers and footers."""

    def __init__(self, shared: list[str]) -> None:
        super().__init__()
        self._shared = shared
        self._row: list[str] = []
        self._cell: list[str] = []
        self._cell_type = "n"
        self.bad_references = 0

    def on_start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "row":
            self._row = []
        elif tag == "c":
            self._cell, self._cell_type = [], attrs.get("t", "n")

    def on_end(self, tag: str) -> None:
        if tag == "c":
            value = self._resolve("".join(self._cell))
            if value.strip():
                self._row.append(value)
        elif tag == "row" and self._row:
            self.lines.append("\t".join(self._row))

    def accepts(self) -> bool:
        return bool(self.stack) and self.stack[-1] in _HEADER_FOOTER

    def data(self, text: str) -> None:
        top = self.stack[-1] if self.stack else ""
        if top == "v" or (top == "t" and "is" in self.stack and "rPh" not in self.stack):
            self._cell.append(text)
        else:
            super().data(_HEADER_CODES.sub("", text))

    def _resolve(self, raw: str) -> str:
        if self._cell_type != "s":
            return raw
        try:
            return self._shared[int(raw)]
        except (ValueError, IndexError):
            self.bad_references += 1
            return ""


def extract_xlsx(package: SafeZip, out: Collector, main_part: str) -> set[str]:
    """Add every sheet, comment and comment author; returns the member names handled."""
    handled = {main_part}
    workbook = read_member(package, _info(package, main_part), out)
    if workbook is None:
        return handled
    try:
        sheets = _sheets(workbook, _relationships(package, main_part))
    except SekishoError:
        # A damaged workbook part or its relationships: the sheets cannot be located by
        # name, but the generic pass still walks every sheet member for its text.
        out.add_incomplete(CORRUPT_PART, main_part)
        sheets = []
    shared = _shared_strings(package, out, main_part, handled)
    out.add_text("\n".join(name for name, _state, _target in sheets), "sheet_names")
    for position, (_name, state, target) in enumerate(sheets, start=1):
        info = package.find(target)
        if info is None:
            continue
        handled.add(info.filename)
        walker = SheetWalker(shared)
        if add_walked(package, info, out, walker) is not None and walker.bad_references:
            out.add_incomplete(CORRUPT_PART, member_part(package, info))
        if state in _SHEET_STATES:
            out.add_part(f"{_SHEET_STATES[state]}:{position}")
    _comments(package, out, handled)
    return handled


def _info(package: SafeZip, name: str) -> zipfile.ZipInfo:
    info = package.find(name)
    assert info is not None, "the caller found the main part"
    return info


def _relationships(package: SafeZip, part: str) -> dict[str, str]:
    """Relationship id -> target member name, for ``part``'s internal relationships."""
    folder, _sep, base = part.rpartition("/")
    data = package.read_named(f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels")
    if data is None:
        return {}
    targets = {}
    for rel in parse_tree(data).iter("Relationship"):
        if rel.get("TargetMode") != "External" and rel.get("Id") and rel.get("Target"):
            targets[rel.get("Id", "")] = resolve_target(part, rel.get("Target", ""))
    return targets


def resolve_target(source_part: str, target: str) -> str:
    """A relationship target (relative to the source's folder, or absolute) as a member name."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def _sheets(workbook: bytes, targets: dict[str, str]) -> list[tuple[str, str, str]]:
    """(name, state, member name) for each sheet, in workbook order."""
    sheets = []
    for sheet in parse_tree(workbook).iter("sheet"):
        target = targets.get(sheet.get("id", ""), "")
        sheets.append((sheet.get("name", ""), sheet.get("state", "visible"), target))
    return sheets


def _shared_strings(
    package: SafeZip, out: Collector, main_part: str, handled: set[str]
) -> list[str]:
    folder = main_part.rpartition("/")[0]
    info = package.find(f"{folder}/sharedStrings.xml" if folder else "sharedStrings.xml")
    if info is None:
        return []
    handled.add(info.filename)
    walker = walk_member(package, info, out, SharedStringsWalker())
    if walker is not None and walker.strings:
        out.add_part(member_part(package, info))
    return walker.strings if walker is not None else []


def _comments(package: SafeZip, out: Collector, handled: set[str]) -> None:
    for info in package:
        name = info.filename
        if _LEGACY_COMMENTS.fullmatch(name) or _THREADED_COMMENTS.fullmatch(name):
            handled.add(name)
            walker = CommentWalker()
            walked = add_walked(package, info, out, walker)
            if walked is not None and walked.lines:
                threaded = _THREADED_COMMENTS.fullmatch(name)
                out.add_part("threaded_comments" if threaded else "cell_comments")
        elif _PERSONS.fullmatch(name):
            handled.add(name)
            add_walked(package, info, out, CommentWalker())


class CommentWalker(TextWalker):
    """Comment text; author names (``<author>``, ``person displayName``) go to metadata."""

    def on_start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "person" and attrs.get("displayName", "").strip():
            self.people["comment"].add(attrs["displayName"].strip())

    def data(self, text: str) -> None:
        if self.stack and self.stack[-1] == "author":
            if text.strip():
                self.people["comment"].add(text.strip())
            return
        super().data(text)
