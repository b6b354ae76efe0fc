"""HTML to text (無害化, Chiba 2(12)): only text reaches the output; links stay readable."""

from __future__ import annotations

import json

import pytest

from core.errors import RefusedByProfile, VerificationFailed
from handlers.base import CleanOptions, LabelStamp
from handlers.detect import detect
from handlers.text import TextHandler
from handlers.textual import HtmlHandler

PAGE = (
    "<!DOCTYPE html><html><head><meta charset=\"shift_jis\"><title>TITLE-SECRET</title>"
    "<meta name=\"author\" content=\"AUTHOR-SECRET\"><meta name=\"x-tool\" content=\"TOOL-SECRET\">"
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">"
    "<base href=\"https://evil.example/\"><link rel=\"stylesheet\" href=\"https://cdn.example/s.css\">"
    "<style>.STYLE-SECRET{background:url(https://t.example/s)}</style>"
    "<script>var s='SCRIPT-SECRET';</script><script src=\"https://evil.example/x.js\"></script>"
    "</head><body onload=\"steal()\">"
    "<h1>見出し</h1><p>本文 <b>太字</b>  と\n改行<br>二行目</p>"
    "<a href=\"https://intranet.example.jp/a\">社内リンク</a> "
    "<a href=\"https://evil.example/p\">https://bank.example/</a> "
    "<a href=\"javascript:alert('JS-SECRET')\">クリック</a> "
    "<a href=\"mailto:soumu@example.lg.jp\">soumu@example.lg.jp</a>"
    "<img src=\"https://tracker.example/pixel.gif\" alt=\"ロゴ\" onerror=\"x()\">"
    "<img src=\"data:image/png;base64,AAAA\">"
    "<ul><li>一</li><li>二</li></ul>"
    "<table><tr><th>項目</th><th>値</th></tr><tr><td>A</td><td>1</td></tr></table>"
    "<pre>  字下げ\n    保持</pre>"
    "<iframe src=\"https://evil.example/frame\">IFRAME-FALLBACK</iframe>"
    "<object data=\"https://evil.example/o.swf\"></object>"
    "<form action=\"https://evil.example/post\"><input type=hidden name=t value=\"FORM-SECRET\">"
    "<button>送信</button></form>"
    "<!-- COMMENT-SECRET --><template><p>TEMPLATE-SECRET</p></template>"
    "<p>&#x53D6;&#25201;注意 &amp; &lt;script&gt;</p></body></html>"
)
SECRETS = ("TITLE-SECRET", "AUTHOR-SECRET", "TOOL-SECRET", "STYLE-SECRET", "SCRIPT-SECRET",
           "JS-SECRET", "COMMENT-SECRET", "TEMPLATE-SECRET", "FORM-SECRET", "evil.example/x.js",
           "tracker.example", "cdn.example", "data:image", "steal()")


def _convert(html: str, options: CleanOptions = CleanOptions(), codec: str = "utf-8"
             ) -> tuple[str, HtmlHandler]:
    with HtmlHandler.open(html.encode(codec), options) as handler:
        return handler.clean().decode("utf-8"), handler


def test_only_text_survives() -> None:
    text, _ = _convert(PAGE, codec="cp932")
    for secret in SECRETS:
        assert secret not in text, secret
    assert text == (
        "見出し\n\n本文 太字 と 改行\n二行目\n\n"
        "社内リンク (https://intranet.example.jp/a) "
        "https://bank.example/ (https://evil.example/p) クリック soumu@example.lg.jp[ロゴ]\n\n"
        "・一\n・二\n\n項目\t値\nA\t1\n\n  字下げ\n    保持\n\nIFRAME-FALLBACK\n\n送信\n\n"
        "取扱注意 & ＜script＞\n"
    )


def test_inspection_counts_what_the_conversion_removes() -> None:
    with HtmlHandler.open(PAGE.encode("cp932")) as handler:
        inspection = handler.inspect()
        handler.clean()
        removed = handler.removed
    assert inspection.active_content == {
        "script": 2, "event_handler": 2, "javascript_url": 1, "meta_refresh": 1, "frame": 1,
        "embedded_object": 1, "form": 1}
    assert inspection.hidden_data == {
        "meta": 1, "base_url": 1, "link_element": 1, "style": 1, "remote_resource": 5,
        "inline_data": 1, "html_comment": 1}
    assert inspection.metadata_keys == ("meta:author", "title")
    report = json.dumps(inspection.to_dict(), ensure_ascii=False)
    assert not any(secret in report for secret in SECRETS)
    assert removed["html_markup"] == 1 and removed["script"] == 2 and removed["title"] == 1
    # "&lt;script&gt;" is markup again once it is text: defused so nothing reads it as HTML.
    assert removed["markup_lookalike"] == 2


def test_remove_links_option_keeps_the_labels_only() -> None:
    text, handler = _convert(PAGE, CleanOptions(remove_links=True), codec="cp932")
    for target in ("intranet.example.jp/a", "evil.example/p", "mailto:"):
        assert target not in text
    assert "社内リンク https://bank.example/ クリック soumu@example.lg.jp" in text
    assert handler.removed["hyperlink"] == 3


def test_output_is_text_verified_and_labelled_as_text() -> None:
    text, handler = _convert(PAGE, codec="cp932")
    cleaned = text.encode()
    assert handler.output_mime() == "text/plain" and handler.output_verifier() is TextHandler
    assert detect(cleaned).mime == "text/plain"
    stamp = LabelStamp({"confidentiality": "C2"}, "機密性2")
    labelled = HtmlHandler.write_label(cleaned, stamp)
    assert labelled == TextHandler.write_label(cleaned, stamp)
    assert HtmlHandler.read_label(labelled) == {"confidentiality": "C2"}
    with pytest.raises(VerificationFailed):
        HtmlHandler.verify(PAGE.encode())  # HTML is never accepted as an output


def test_hidden_text_is_shown_and_reported_for_the_profile() -> None:
    html = "<p>見える</p><div style=\"display: none\">隠し</div><span hidden>隠し2</span>"
    text, handler = _convert(html)
    assert "隠し" in text and "隠し2" in text
    assert handler.inspect().notices == {"hidden_text": 2}
    with HtmlHandler.open(html.encode(), CleanOptions(hidden_content="refuse")) as refusing:
        with pytest.raises(RefusedByProfile):
            refusing.clean()


def test_label_markers_and_invisible_controls_in_html_are_neutralised() -> None:
    text, handler = _convert("<p>x</p><p>sekisho-label: {\"a\":1}</p><p>a\u202eb</p>")
    assert text == "x\n\n> sekisho-label: {\"a\":1}\n\nab\n"
    assert handler.removed["label_marker"] == 1 and handler.removed["bidi_control"] == 1
    assert TextHandler.read_label(text.encode()) is None


@pytest.mark.parametrize(("data", "expected"), [
    ("<html><body>無宣言 EUC</body></html>".encode("euc_jp"), "無宣言 EUC\n"),
    ("<html><body>UTF-16</body></html>".encode("utf-16"), "UTF-16\n"),
    (b"<meta charset=\"utf-8\"><p>" + "宣言違い".encode("cp932") + b"</p>", "宣言違い\n"),
])
def test_encodings(data: bytes, expected: str) -> None:
    with HtmlHandler.open(data) as handler:
        assert handler.clean().decode() == expected


def test_undecodable_html_is_refused() -> None:
    with pytest.raises(Exception) as raised:
        HtmlHandler.open(b"<html><body>" + b"\xff\xfd\xfc\x80\x81" * 10)
    assert getattr(raised.value, "code", None) == "unsupported_text_encoding"
