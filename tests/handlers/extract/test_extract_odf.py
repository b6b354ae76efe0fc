"""ODT/ODS/ODP: body, headers/footers, comments, tracked deletions, notes, hidden parts."""

from __future__ import annotations

import pytest

from tests.fixtures.odfgen import (
    ODF_AUTHOR,
    ODF_EDITOR,
    ODF_MARK,
    make_dirty_odt,
    make_odp,
    make_ods,
)
from tests.handlers.extract.support import assert_report_is_clean, extract_detected, reasons

ODT_PARTS = {
    "body": "content.xml", "header": "headers_footers", "footer": "headers_footers",
    "comment": "comments", "deleted": "tracked_deletions", "footnote": "footnotes",
    "hidden": "hidden_text", "custom": "custom_properties",
}


@pytest.mark.parametrize("side", sorted(ODT_PARTS))
def test_odt_side_parts(side: str) -> None:
    extraction = extract_detected(make_dirty_odt())
    assert ODF_MARK[side] in extraction.text
    assert ODT_PARTS[side] in extraction.parts


def test_odt_metadata() -> None:
    extraction = extract_detected(make_dirty_odt())
    assert extraction.metadata["author"] == ODF_AUTHOR  # meta:initial-creator
    assert extraction.metadata["last_modified_by"] == ODF_EDITOR  # dc:creator
    assert extraction.metadata["creator_tool"].startswith("LibreOffice")
    assert_report_is_clean(extraction, [*ODF_MARK.values()])


def test_encrypted_odt_is_password_protected_but_meta_is_read() -> None:
    extraction = extract_detected(make_dirty_odt(encrypted=True))
    assert ODF_MARK["body"] not in extraction.text
    assert ("password_protected", "content.xml") in reasons(extraction)
    assert extraction.metadata["author"] == ODF_AUTHOR


def test_ods_hidden_sheet() -> None:
    extraction = extract_detected(make_ods(
        {"公開": [[ODF_MARK["sheet"]]], "非公開": [[ODF_MARK["hidden_sheet"]]]},
        hidden={"非公開"}, author=ODF_AUTHOR))
    assert ODF_MARK["sheet"] in extraction.text and ODF_MARK["hidden_sheet"] in extraction.text
    assert "非公開" in extraction.text
    assert "hidden_sheet:2" in extraction.parts and "hidden_sheet:1" not in extraction.parts


def test_odp_notes_and_hidden_slide() -> None:
    extraction = extract_detected(make_odp(
        [ODF_MARK["slide"], "second"], notes={1: ODF_MARK["notes"]}, hidden={2}))
    assert ODF_MARK["notes"] in extraction.text
    assert {"speaker_notes", "hidden_slide:2"} <= set(extraction.parts)
