"""CSV: encoding normalised to UTF-8 and formula cells neutralised (CSV injection).

A spreadsheet opening a CSV evaluates a cell that starts with ``=``, ``+``, ``-`` or ``@`` as
a formula (``=HYPERLINK(...)`` leaks data, ``=cmd|' /C calc'!A0`` runs a program through
DDE); TAB and CR are listed too because some importers strip them and then see the formula.
Following the OWASP "CSV Injection" guidance such a cell is prefixed with a single quote,
which spreadsheets show as text. Full-width ``＝＋－＠`` (NFKC) and leading blanks count, since
Japanese input methods produce them and importers may trim. Plain signed numbers (``-120``,
``+81``) are left alone: they cannot call anything, and quoting them would turn every negative
amount in a ledger into text.

The file is parsed strictly and written back with the same rows and the same number of cells
in each row; quoting is normalised (minimal quoting), line ends and the delimiter are kept.
Malformed quoting is refused rather than guessed at: two readers that disagree about where a
cell ends are how a formula slips past a check.

Labels: none are written into the file. CSV has no comment or property syntax, and an extra
first row would shift every record for the systems that import these files (header-row
detection, fixed column positions). The label travels in the file-name prefix (Chiba 6.2(2)
lists the file name as a place for the marking) and in the report.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator

from core.errors import CorruptFile, LimitExceeded
from handlers.base import Handler, Inspection, LabelStamp
from handlers.limits import MAX_TEXT_BYTES, check_size
from handlers.text import count_invisible, decode_japanese_text, strip_invisible

TEXT_CSV = "text/csv"
#: Most cells in one CSV (a 32 MB file of empty cells holds 16 million: a memory attack).
MAX_CSV_CELLS = 2_000_000
#: What a neutralised cell starts with (OWASP: a single quote makes the cell text).
NEUTRALISING_PREFIX = "'"
#: The removal kind for neutralised cells.
FORMULA_CELL = "csv_formula_cell"

_FORMULA_STARTS = frozenset("=+-@")
_ALWAYS_FORMULA = frozenset("\t\r")
#: ASCII first characters that settle a cell as no formula without normalising it.
_SAFE_ASCII_STARTS = frozenset(chr(c) for c in range(0x21, 0x7F)) - _FORMULA_STARTS
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9,]*(?:\.[0-9]+)?|[+-]")
_DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon"}
#: How much of the first record is looked at to choose the delimiter.
_DELIMITER_WINDOW = 64 * 1024


class MalformedCsv(CorruptFile):
    code = "malformed_csv"
    default_message = "the CSV is malformed (unbalanced quotes or text after a quoted cell)"


class CsvFieldTooLarge(LimitExceeded):
    code = "csv_field_too_large"
    default_message = "a CSV cell is larger than the parser accepts"


class TooManyCsvCells(LimitExceeded):
    code = "too_many_csv_cells"
    default_message = "the CSV has more cells than this handler accepts"


def is_formula_cell(cell: str) -> bool:
    """Whether a spreadsheet could evaluate ``cell`` as a formula."""
    if not cell or cell[0] in _SAFE_ASCII_STARTS:
        return False
    if cell[0] in _ALWAYS_FORMULA:
        return True
    stripped = cell.lstrip()
    # NFKC of the first character decides most cells; the whole cell only when needed.
    if unicodedata.normalize("NFKC", stripped[:1])[:1] not in _FORMULA_STARTS:
        return False
    return _PLAIN_NUMBER.fullmatch(unicodedata.normalize("NFKC", stripped).rstrip()) is None


def neutralise_cell(cell: str) -> str:
    return NEUTRALISING_PREFIX + cell if is_formula_cell(cell) else cell


def choose_delimiter(text: str) -> str:
    """The delimiter used most in the first line; comma when none is."""
    first = text[:_DELIMITER_WINDOW].split("\n", 1)[0]
    counts = {delimiter: first.count(delimiter) for delimiter in _DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def parse_csv(text: str, delimiter: str) -> list[list[str]]:
    """Every record, strictly; MalformedCsv, CsvFieldTooLarge or TooManyCsvCells."""
    rows: list[list[str]] = []
    cells = 0
    try:
        for row in _reader(text, delimiter):
            cells += len(row)
            if cells > MAX_CSV_CELLS:
                raise TooManyCsvCells(f"more than {MAX_CSV_CELLS} cells")
            rows.append(row)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise CsvFieldTooLarge(f"a cell exceeds {csv.field_size_limit()} characters") from exc
        raise MalformedCsv() from exc
    return rows


def _reader(text: str, delimiter: str) -> Iterator[list[str]]:
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)


def write_csv(rows: list[list[str]], delimiter: str, newline: str) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerows(rows)
    return out.getvalue()


class CsvHandler(Handler):
    """Comma-, tab- or semicolon-separated values; output is UTF-8 without BOM."""

    mime_types = frozenset({TEXT_CSV})
    # libmagic calls CSV with Japanese text, or a single column, plain text.
    output_mime_types = frozenset({TEXT_CSV, "text/plain"})

    _text: str
    _encoding: str
    _delimiter: str
    _rows: list[list[str]]
    _formulas: int

    def _load(self) -> None:
        check_size(self._untrusted_data, MAX_TEXT_BYTES)
        self._text, self._encoding = decode_japanese_text(self._untrusted_data)
        self._delimiter = choose_delimiter(self._text)
        # Invisible controls are judged on the raw text and parsed out of it, so that a NUL
        # or a bidi override cannot change where a cell starts.
        self._rows = parse_csv(strip_invisible(self._text), self._delimiter)
        # The first-character test inline: most cells are settled by it, without a call.
        self._formulas = sum(1 for row in self._rows for cell in row
                             if cell and cell[0] not in _SAFE_ASCII_STARTS
                             and is_formula_cell(cell))

    def inspect(self) -> Inspection:
        invisible = count_invisible(self._text)
        active = {k: n for k, n in invisible.items() if k == "bidi_control"}
        if self._formulas:
            active[FORMULA_CELL] = self._formulas
        return Inspection(
            mime=TEXT_CSV,
            active_content=active,
            hidden_data={k: n for k, n in invisible.items() if k != "bidi_control"},
            properties={
                "encoding": self._encoding,
                "bom": self._encoding in {"utf-8-sig", "utf-16"},
                "delimiter": _DELIMITERS.get(self._delimiter, "comma"),
                "rows": len(self._rows),
                "columns": max((len(row) for row in self._rows), default=0),
            },
        )

    def extract_text(self) -> str:
        return self._text

    def _sanitise(self) -> tuple[bytes, dict[str, int]]:
        removed = count_invisible(self._text)
        if self._formulas:
            removed[FORMULA_CELL] = self._formulas
        if self._encoding in {"utf-8-sig", "utf-16"}:
            removed["byte_order_mark"] = 1
        rows = [[cell if not cell or cell[0] in _SAFE_ASCII_STARTS else neutralise_cell(cell)
                 for cell in row] for row in self._rows]
        return write_csv(rows, self._delimiter, self._newline()).encode("utf-8"), removed

    def _newline(self) -> str:
        first_break = self._text.find("\n")
        return "\r\n" if first_break > 0 and self._text[first_break - 1] == "\r" else "\n"

    def _output_problems(self) -> list[str]:
        return [] if self._encoding == "utf-8" else [f"encoding:{self._encoding}"]

    @classmethod
    def write_label(cls, cleaned: bytes, stamp: LabelStamp) -> bytes:
        # No label inside a CSV (see the module docstring); still refuse to release anything
        # that is not a verified clean CSV.
        cls.verify(cleaned)
        return cleaned

    @classmethod
    def read_label(cls, data: bytes) -> dict[str, object] | None:
        return None
