"""RTF: code pages, Unicode escapes, destinations, \\info metadata, hostile nesting."""

from __future__ import annotations

import pytest

from core.errors import CorruptFile
from handlers.extract import extract
from tests.fixtures.imagegen import make_text_image
from tests.fixtures.rtfgen import RTF_AUTHOR, RTF_COMPANY, RTF_MARK, make_dirty_rtf, make_rtf
from tests.handlers.extract.support import (
    assert_report_is_clean,
    extract_detected,
    reasons,
    requires_japanese_font,
    requires_ocr,
)

RTF_PARTS = {
    "body": "body", "header": "headers_footers", "footer": "headers_footers",
    "footnote": "footnotes", "comment": "comments", "hidden": "hidden_text",
    "deleted": "tracked_deletions",
}


@pytest.mark.parametrize("escapes", ["cp932", "unicode"])
@pytest.mark.parametrize("side", sorted(RTF_PARTS))
def test_rtf_side_parts(escapes: str, side: str) -> None:
    extraction = extract_detected(make_dirty_rtf(escapes))
    assert RTF_MARK[side] in extraction.text
    assert RTF_PARTS[side] in extraction.parts


@pytest.mark.parametrize("escapes", ["cp932", "unicode"])
def test_rtf_japanese_text_and_surrogate_pairs(escapes: str) -> None:
    extraction = extract_detected(make_dirty_rtf(escapes))
    assert "機密性２　取扱注意" in extraction.text
    assert "絵文字 😀 と 髙橋" in extraction.text  # 😀 is a \\u surrogate pair; 髙 is CP932-only
    assert "?" not in extraction.text  # \\uc1 fallback characters are skipped
    assert extraction.complete


def test_rtf_info_metadata_and_skipped_destinations() -> None:
    extraction = extract_detected(make_dirty_rtf())
    assert extraction.metadata["author"] == RTF_AUTHOR
    assert extraction.metadata["company"] == RTF_COMPANY
    assert extraction.metadata["title"] == "RTF題名"
    assert extraction.metadata["comment_authors"] == "RTF-COMMENTER 小林"
    assert RTF_MARK["skipped"] not in extraction.text  # an unknown \\* destination
    for table_text in ("Times New Roman", "Normal;", "Fixture RTF"):
        assert table_text not in extraction.text  # font/style tables, generator
    assert_report_is_clean(extraction, [*RTF_MARK.values(), RTF_AUTHOR])


def test_bin_data_is_skipped() -> None:
    # Six binary bytes that look like braces must not close or open groups.
    data = b"{\\rtf1\\ansi before{\\*\\blob\\bin6 }}{}{}}\\bin4 XXXX after}"
    text = extract(data, "text/rtf").text
    assert "before" in text and "after" in text and "XXXX" not in text


def test_deep_group_nesting_is_bounded() -> None:
    data = b"{\\rtf1\\ansi start " + b"{" * 5000 + b"x" + b"}" * 5000 + b"}"
    extraction = extract(data, "text/rtf")
    assert "start" in extraction.text
    assert ("limit_exceeded", "groups") in reasons(extraction)


def test_not_rtf_is_corrupt() -> None:
    with pytest.raises(CorruptFile):
        extract(b"hello, not rtf", "text/rtf")


def test_undecodable_code_page_bytes_are_reported() -> None:
    data = b"{\\rtf1\\ansi\\ansicpg932 ok \\'81}"  # a lone CP932 lead byte
    extraction = extract(data, "text/rtf")
    assert "ok" in extraction.text
    assert ("undecodable_text", "body") in reasons(extraction)


@requires_ocr
@requires_japanese_font
def test_rtf_png_picture_is_ocrd() -> None:
    picture = make_text_image(["取扱注意 RTFPICT"])
    extraction = extract_detected(make_rtf(["本文"], picture_png=picture))
    assert "取扱注意" in extraction.text
    assert "picture[1]:image/png" in extraction.parts
