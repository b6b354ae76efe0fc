"""Independent checks with tools we did not write (issue 4 item 4): LibreOffice opens the
cleaned and labelled documents and prints the label on every page; exiftool finds no
personal metadata in them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from handlers.base import LabelStamp
from tests.fixtures.odfdirty import ODF_KEPT, make_dirty_odf
from tests.handlers.odf.support import HANDLERS, KINDS, clean

SOFFICE = shutil.which("soffice")
EXIFTOOL = shutil.which("exiftool")
EXTENSIONS = {"text": "odt", "spreadsheet": "ods", "presentation": "odp"}
STAMP = LabelStamp(label={"confidentiality": "C2"}, visible="LABEL-LINE-機密性2")
#: Text each cleaned document shows (a narrow spreadsheet cell clips the longer marker).
SHOWN = {"text": ODF_KEPT[0], "spreadsheet": "cachedweb", "presentation": ODF_KEPT[0]}
#: exiftool's names for meta.xml fields that identify people, software or times.
PERSONAL = ("Initial-creator", "Creator", "Generator", "Printed-by", "Creation-date", "Date",
            "Editing-cycles", "Editing-duration", "Template", "Title", "Keyword")


def _squeezed(text: str) -> str:
    """PDF text without whitespace: LibreOffice's font fallback splits 機密性 and 2."""
    return "".join(text.split())


def documents(tmp: Path) -> dict[str, Path]:
    """Cleaned and labelled versions of each dirty document, written to ``tmp``."""
    paths = {}
    for kind in KINDS:
        cleaned, _ = clean(HANDLERS[kind], make_dirty_odf(kind))
        labelled = HANDLERS[kind].write_label(cleaned, STAMP)
        for state, data in (("clean", cleaned), ("labelled", labelled)):
            path = tmp / f"{state}-{kind}.{EXTENSIONS[kind]}"
            path.write_bytes(data)
            paths[f"{state}-{kind}"] = path
    return paths


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Page texts of every document, converted to PDF by LibreOffice in one run."""
    if SOFFICE is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer-nogui "
                    "libreoffice-calc-nogui libreoffice-impress-nogui)")
    tmp = tmp_path_factory.mktemp("odf-soffice")
    paths = documents(tmp)
    # A private profile: a second LibreOffice (another test run) cannot collide with it.
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp / 'profile'}", "--headless",
                    "--norestore", "--convert-to", "pdf", "--outdir", str(tmp / "pdf"),
                    *map(str, paths.values())], capture_output=True, timeout=300, check=True)
    pages = {}
    for name in paths:
        pdf = tmp / "pdf" / f"{name}.pdf"
        assert pdf.exists(), f"LibreOffice could not open {name}"
        pages[name] = [page.extract_text() for page in PdfReader(pdf).pages]
    return pages


@pytest.mark.parametrize("kind", KINDS)
def test_libreoffice_opens_cleaned_documents(converted: dict[str, list[str]],
                                             kind: str) -> None:
    text = _squeezed("\n".join(converted[f"clean-{kind}"]))
    assert SHOWN[kind] in text
    assert _squeezed(STAMP.visible) not in text


@pytest.mark.parametrize("kind", KINDS)
def test_libreoffice_shows_the_label_on_every_page(converted: dict[str, list[str]],
                                                   kind: str) -> None:
    pages = [_squeezed(page) for page in converted[f"labelled-{kind}"]]
    assert pages and all(_squeezed(STAMP.visible) in page for page in pages), pages
    assert SHOWN[kind] in "".join(pages)


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed "
                    "(apt-get install libimage-exiftool-perl)")
def test_exiftool_finds_no_personal_metadata(tmp_path: Path) -> None:
    paths = documents(tmp_path)
    dirty = tmp_path / "dirty.odt"
    dirty.write_bytes(make_dirty_odf("text"))
    assert EXIFTOOL is not None
    out = subprocess.run([EXIFTOOL, "-j", "-G", str(dirty), *map(str, paths.values())],
                         capture_output=True, check=True, timeout=60)
    records = {Path(r["SourceFile"]).stem: r for r in json.loads(out.stdout)}

    def personal(record: dict[str, object]) -> list[str]:
        return [key for key in record if key.partition(":")[2].startswith(PERSONAL)]

    assert len(personal(records["dirty"])) >= 8, "exiftool must see the fixture's metadata"
    for name in paths:
        assert personal(records[name]) == [], name
    assert records["labelled-text"].get("XMP:User-definedName") == "SekishoClassification"
