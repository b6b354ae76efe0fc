"""Plain text, CSV and HTML: encodings, undecodable bytes, scripts, links, charsets."""

from __future__ import annotations

import pytest

from handlers.extract import extract
from tests.handlers.extract.support import extract_detected, reasons

SAMPLE = "氏名,電話,メモ\n山田太郎,03-1234-5678,①㈱髙\n"


@pytest.mark.parametrize("codec", ["utf-8", "cp932", "euc_jp", "iso2022_jp_ext", "utf-16"])
def test_text_and_csv_encodings(codec: str) -> None:
    text = SAMPLE if codec in {"utf-8", "cp932", "utf-16"} else SAMPLE.replace("①㈱髙", "メモ")
    extraction = extract_detected(text.encode(codec))
    assert extraction.text == text.strip("\n")
    assert extraction.complete and extraction.parts == ["body"]


def test_undecodable_text_keeps_the_readable_remainder_and_says_so() -> None:
    data = "個人情報 取扱注意 ".encode() + b"\xff\xfe\x80" + "電話 03-1234-5678".encode()
    extraction = extract(data, "text/plain")
    assert "個人情報 取扱注意" in extraction.text and "03-1234-5678" in extraction.text
    assert "\ufffd" in extraction.text
    assert ("undecodable_text", "body") in reasons(extraction)


def test_text_types_libmagic_invents_are_read_as_text() -> None:
    assert "本文" in extract("本文".encode(), "text/x-Algol68").text


HTML = (
    "<!DOCTYPE html><html><head><meta charset=\"shift_jis\"><title>題名</title>"
    "<meta name=\"author\" content=\"HTML著者 HTML-AUTHOR\"><style>.x{color:red}"
    ".STYLE-MARK{}</style><script>var s='SCRIPT-MARK';</script></head><body>"
    "<h1>見出し</h1><p>本文 HTML-MARK<br>二行目</p>"
    "<a href=\"mailto:link@example.jp\">連絡先</a><a href=\"javascript:alert(1)\">x</a>"
    "<div style=\"display: none\">HIDDEN-HTML-MARK</div><img alt=\"ALT-MARK\" src=\"a.png\">"
    "<!-- COMMENT-HTML-MARK --><p>&#x53D6;&#25201;注意 &amp; more</p></body></html>"
)


def test_html_text_links_comments_without_scripts() -> None:
    extraction = extract_detected(HTML.encode("cp932"))
    text = extraction.text
    for expected in ("見出し", "本文 HTML-MARK\n二行目", "mailto:link@example.jp",
                     "HIDDEN-HTML-MARK", "ALT-MARK", "COMMENT-HTML-MARK", "取扱注意 & more"):
        assert expected in text
    for absent in ("SCRIPT-MARK", "STYLE-MARK", "javascript:"):
        assert absent not in text
    assert extraction.metadata["title"] == "題名"
    assert extraction.metadata["author"] == "HTML著者 HTML-AUTHOR"
    assert {"body", "links", "html_comments", "hidden_elements"} <= set(extraction.parts)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("<html><body>無宣言 EUC</body></html>".encode("euc_jp"), "無宣言 EUC"),
        (b"\xef\xbb\xbf<html><body>" + "BOM付き".encode() + b"</body></html>", "BOM付き"),
        (('<meta charset="utf-8"><p>' + "宣言違い").encode("cp932"), "宣言違い"),
        (b'<meta charset="unicode_escape"><p>\\u5c71 ' + "山".encode() + b"</p>", "\\u5c71 山"),
    ],
    ids=["detected", "bom", "wrong-declaration", "codec-not-a-charset"],
)
def test_html_encodings(data: bytes, expected: str) -> None:
    assert expected in extract(data, "text/html").text
