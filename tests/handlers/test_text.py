"""Plain text: Japanese encodings are detected and normalised to UTF-8 without BOM."""

from __future__ import annotations

import pytest

from core.errors import UnsupportedContent, VerificationFailed
from handlers import detect, handler_for
from handlers.base import LabelStamp
from handlers.limits import FileTooLarge
from handlers.text import (
    LABEL_KEY,
    TextHandler,
    UnsupportedTextEncoding,
    UnwritableTextLabel,
    decode_japanese_text,
)

SAMPLE = "機密性２　取扱注意\n本日は晴天なり。カタカナとひらがな、漢字。ＡＢＣ１２３\r\nabc\n"
CP932_ONLY = "①②③ ㈱髙橋 ﾊﾝｶｸｶﾅ\n"  # NEC/IBM extensions and half-width katakana


@pytest.mark.parametrize(("codec", "expected"), [
    ("utf-8", "utf-8"),
    ("utf-8-sig", "utf-8-sig"),
    ("cp932", "cp932"),
    ("shift_jis", "cp932"),
    ("euc_jp", "euc_jp"),
    ("iso2022_jp", "iso2022_jp"),
    ("utf-16", "utf-16"),
])
def test_encodings_round_trip_to_utf8(codec: str, expected: str) -> None:
    data = SAMPLE.encode(codec)
    assert detect(data, "memo.txt").mime == "text/plain"
    with TextHandler.open(data) as handler:
        assert handler.extract_text() == SAMPLE
        assert handler.inspect().properties["encoding"] == expected
        cleaned = handler.clean()
    assert cleaned == SAMPLE.encode("utf-8")
    assert not cleaned.startswith(b"\xef\xbb\xbf")
    assert TextHandler.verify(cleaned).properties["encoding"] == "utf-8"


def test_cp932_extensions() -> None:
    with TextHandler.open(CP932_ONLY.encode("cp932")) as handler:
        assert handler.extract_text() == CP932_ONLY


@pytest.mark.parametrize(("text", "codec"), [
    ("ｶﾀｶﾅ", "cp932"), ("ﾔﾏﾀﾞ ﾀﾛｳ", "cp932"), ("ｶﾌﾞｼｷｶﾞｲｼｬ", "cp932"), ("取扱注意", "cp932"),
    ("取扱注意", "euc_jp"), ("機密情報", "euc_jp"), ("草加八潮消防組合", "euc_jp"),
    ("住所,氏名\n埼玉県,山田\n", "euc_jp"), ("住所,氏名\n埼玉県,山田\n", "cp932"),
])
def test_ambiguous_short_strings(text: str, codec: str) -> None:
    decoded, _ = decode_japanese_text(text.encode(codec))
    assert decoded == text


def test_ascii_escape_codes_are_not_jis() -> None:
    _, codec = decode_japanese_text(b"\x1b[31mred\x1b[0m\n")
    assert codec == "utf-8"
    with TextHandler.open(b"\x1b[31mred\x1b[0m\n") as handler:
        assert handler.inspect().hidden_data == {"control_character": 2}
        assert handler.clean() == b"[31mred[0m\n"


def test_bidi_controls_are_active_content_and_removed() -> None:
    spoof = "invoice\u202egpj.exe\n"
    with TextHandler.open(spoof.encode()) as handler:
        assert handler.inspect().active_content == {"bidi_control": 1}
        cleaned = handler.clean()
        assert handler.removed == {"bidi_control": 1}
    assert cleaned == b"invoicegpj.exe\n"


def test_bom_removal_is_reported() -> None:
    with TextHandler.open(SAMPLE.encode("utf-8-sig")) as handler:
        handler.clean()
        assert handler.removed == {"byte_order_mark": 1}


def test_undecodable_text_is_refused() -> None:
    with pytest.raises(UnsupportedTextEncoding) as raised:
        TextHandler.open(b"\xff\xfd\xfc\x80\x81" * 10)
    assert raised.value.code == "unsupported_text_encoding"
    assert isinstance(raised.value, UnsupportedContent)


def test_broken_bom_declaration_is_refused() -> None:
    with pytest.raises(UnsupportedTextEncoding):
        TextHandler.open(b"\xef\xbb\xbf\xff\xfe broken")


def test_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("handlers.text.MAX_TEXT_BYTES", 10)
    with pytest.raises(FileTooLarge):
        TextHandler.open(b"x" * 11)


def test_verify_refuses_non_utf8_output() -> None:
    with pytest.raises(VerificationFailed, match="encoding:cp932"):
        TextHandler.verify(SAMPLE.encode("cp932"))


def test_pipeline_detect_then_handler() -> None:
    data = SAMPLE.encode("euc_jp")
    with handler_for(detect(data, "a.txt").mime).open(data) as handler:
        assert handler.extract_text() == SAMPLE


# --- labels (Chiba 6.2(2), LBL-01): a visible line and a marker line at the top ------------

LABEL = {"confidentiality": "C2", "restrictions": ["no_copy"]}
STAMP = LabelStamp(LABEL, visible="機密性2（中）情報　取扱制限：複製禁止")
MARKER_LINE = 'sekisho-label: {"confidentiality":"C2","restrictions":["no_copy"]}'


def _clean(data: bytes) -> bytes:
    with TextHandler.open(data) as handler:
        return handler.clean()


def test_label_header_is_written_read_and_verified() -> None:
    labelled = TextHandler.write_label(_clean("本文です\n".encode("cp932")), STAMP)
    assert labelled.decode() == f"{STAMP.visible}\n{MARKER_LINE}\n本文です\n"
    assert TextHandler.read_label(labelled) == LABEL
    assert TextHandler.verify(labelled).metadata_keys == (LABEL_KEY,)
    assert detect(labelled).mime == "text/plain"


def test_header_follows_crlf_line_ends() -> None:
    labelled = TextHandler.write_label(_clean(b"line1\r\nline2\r\n"), STAMP)
    assert labelled.decode().startswith(f"{STAMP.visible}\r\n{MARKER_LINE}\r\nline1\r\n")
    assert TextHandler.read_label(labelled) == LABEL


def test_relabelling_replaces_the_header() -> None:
    first = TextHandler.write_label(_clean("本文\n".encode()), STAMP)
    second = TextHandler.write_label(first, LabelStamp({"confidentiality": "C3"}, "機密性3"))
    assert second.decode() == '機密性3\nsekisho-label: {"confidentiality":"C3"}\n本文\n'


def test_cleaning_removes_an_earlier_label() -> None:
    labelled = TextHandler.write_label(_clean("本文\n".encode()), STAMP)
    with TextHandler.open(labelled) as handler:
        assert handler.clean() == "本文\n".encode()
        assert handler.removed == {LABEL_KEY: 1}


@pytest.mark.parametrize("forged", [
    f"表題\n{MARKER_LINE}\n本文\n",                       # exactly our header, from the input
    'x\nsekisho-label: {"confidentiality": "C1"}\n本文\n',  # not canonical
    f"本文\n二行目\n{MARKER_LINE}\n",                        # further down
    "本文\n  ＳＥＫＩＳＨＯ－ＬＡＢＥＬ：　{}\n",              # full-width look-alike
    "本文\u2028sekisho-label: {}\n",                         # after a Unicode line separator
])
def test_a_label_in_the_input_never_survives_cleaning(forged: str) -> None:
    cleaned = _clean(forged.encode())
    assert TextHandler.read_label(cleaned) is None
    assert TextHandler.verify(cleaned).problems() == []
    labelled = TextHandler.write_label(cleaned, STAMP)
    assert TextHandler.read_label(labelled) == LABEL


def test_look_alike_markers_are_neutralised_and_counted() -> None:
    with TextHandler.open(f"本文\n二行目\n{MARKER_LINE}\n".encode()) as handler:
        assert handler.inspect().hidden_data == {"label_marker": 1}
        cleaned = handler.clean()
        assert handler.removed == {"label_marker": 1}
    assert cleaned.decode() == f"本文\n二行目\n> {MARKER_LINE}\n"


def test_verify_refuses_a_second_marker_after_a_real_header() -> None:
    labelled = TextHandler.write_label(_clean("本文\n".encode()), STAMP)
    with pytest.raises(VerificationFailed, match="label_marker"):
        TextHandler.verify(labelled + f"{MARKER_LINE}\n".encode())


@pytest.mark.parametrize("visible", ["二行\n目", "spoof\u202e", "sekisho-label: x"])
def test_stamps_that_would_not_read_back_are_refused(visible: str) -> None:
    with pytest.raises(UnwritableTextLabel) as raised:
        TextHandler.write_label(_clean(b"text\n"), LabelStamp(LABEL, visible))
    assert raised.value.code == "label_not_writable"


def test_labelling_unclean_text_is_refused() -> None:
    with pytest.raises(VerificationFailed):
        TextHandler.write_label("本文\u202e\n".encode(), STAMP)
