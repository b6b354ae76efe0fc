"""Phone numbers, e-mail addresses, postal codes."""

from __future__ import annotations

import pytest

from classifiers import EmailRecognizer, PhoneRecognizer, PostalCodeRecognizer
from tests.classifiers.support import finder, spans

phone = finder(PhoneRecognizer())
email = finder(EmailRecognizer())
postal = finder(PostalCodeRecognizer())


@pytest.mark.parametrize("number", [
    "03-1234-5678", "045-123-4567", "0467-12-3456", "04992-1-2345", "(03)1234-5678",
    "03(1234)5678", "090-1234-5678", "080 1234 5678", "070-1234-5678", "050-1234-5678",
    "0120-123-456", "0800-123-4567", "0570-123-456", "+81-3-1234-5678", "+81 90 1234 5678",
    "+81(0)3-1234-5678", "０３－１２３４－５６７８", "０９０ー１２３４ー５６７８",
    "0470-91-7850",  # an older, longer area code (the plan now says 04-7091-7850)
    "043-638-6365",  # a shorter code that is itself one (the plan says 0436-38-6365)
])
def test_japanese_phone_numbers(number: str) -> None:
    text = f"連絡先：{number}（平日のみ）"
    assert spans(phone(text), text) == [("PHONE_NUMBER", number)]


def test_unseparated_numbers_score_lower_without_context() -> None:
    (sure,) = phone("TEL 0312345678")
    (bare,) = phone("\t0312345678\t")  # a table cell: the header is far away
    assert (sure.start, sure.end) == (4, 14) and bare.score < sure.score
    assert phone("受付 0212345678 番") == []  # not in the numbering plan


@pytest.mark.parametrize("text", [
    "¥1,234,567", "金額 03-1234-5678円", "01-2345-6789", "2023-04-01", "1234-5678-9012",
    "ISBN 978-4-12-345678-9", "第03-1234号", "12-3456-7890", "090-1234-56789",
    "03-1234-5678-9", "0212345678", "1234567890",
])
def test_phone_decoys(text: str) -> None:
    assert phone(f"電話 {text}") == [], text


def test_email() -> None:
    text = ("問合せ先 taro.yamada+sekisho@city.soka.saitama.jp まで"
            "（ＴＡＲＯ＠ＥＸＡＭＰＬＥ．ＪＰ も可）")
    found = email(text)
    assert [text[f.start : f.end] for f in found] == [
        "taro.yamada+sekisho@city.soka.saitama.jp", "ＴＡＲＯ＠ＥＸＡＭＰＬＥ．ＪＰ"]
    # Canonical form: case-folded, so the full-width upper-case address hashes like its
    # lower-case twin within one call.
    twins = email("TARO@EXAMPLE.JP taro@example.jp")
    assert twins[0].text_hash == twins[1].text_hash


@pytest.mark.parametrize("text", ["a@b", "user@localhost", ".x@example.jp", "x..y@example.jp",
                                  "@example.jp", "x@-example.jp", "x@example.j"])
def test_email_decoys(text: str) -> None:
    assert email(f"連絡 {text} 以上") == [], text


def test_postal_codes_with_mark_prefecture_or_context() -> None:
    for text, code in [("〒330-0063 さいたま市", "330-0063"), ("〒 3300063", "3300063"),
                       ("〒３３０－００６３", "３３０－００６３"),
                       ("330-0063 埼玉県さいたま市", "330-0063"),
                       ("郵便番号 340-0011", "340-0011"), ("住所：340-0011 草加市", "340-0011")]:
        assert spans(postal(text), text) == [("JP_POSTAL_CODE", code)], text


@pytest.mark.parametrize("text", ["注文番号 123-4567", "部品 330-0063-1", "1330-0063",
                                  "〒330-00631", "電話 048-922-0151"])
def test_postal_decoys(text: str) -> None:
    assert postal(text) == [], text
