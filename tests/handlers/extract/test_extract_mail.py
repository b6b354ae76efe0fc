"""E-mail: Japanese headers, bodies, and attachments extracted recursively."""

from __future__ import annotations

from handlers.extract import extract
from handlers.extract.limits import MAX_NESTING_DEPTH
from tests.fixtures.mailgen import (
    MAIL_FROM_NAME,
    MAIL_MARK,
    MAIL_SUBJECT,
    make_dirty_eml,
    make_eml,
)
from tests.fixtures.officegen import AUTHOR, MARK, make_dirty_docx
from tests.fixtures.pdfgen import make_text_pdf
from tests.handlers.extract.support import assert_report_is_clean, extract_detected, reasons

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_iso_2022_jp_subject_and_from_are_decoded() -> None:
    extraction = extract_detected(make_eml("本文"))
    assert f"Subject: {MAIL_SUBJECT}" in extraction.text
    assert MAIL_FROM_NAME in extraction.text
    assert extraction.metadata["title"] == MAIL_SUBJECT
    assert MAIL_FROM_NAME in extraction.metadata["author"]
    assert "=?ISO-2022-JP?" not in extraction.text


def test_raw_jis_in_a_header_is_decoded() -> None:
    extraction = extract(make_eml("x", raw_jis_subject=True), "message/rfc822")
    assert MAIL_SUBJECT in extraction.text
    assert "\x1b" not in extraction.text


def test_bodies_plain_and_html() -> None:
    extraction = extract_detected(make_dirty_eml())
    assert "本文です。" in extraction.text and MAIL_MARK["body"] in extraction.text
    assert MAIL_MARK["html"] in extraction.text and MAIL_MARK["link"] in extraction.text
    assert MAIL_MARK["script"] not in extraction.text
    assert {"headers", "body", "html_body", "html_links"} <= set(extraction.parts)


def test_attachments_are_extracted_by_detected_type() -> None:
    pdf = make_text_pdf("PDF添付 PDF-ATTACHMENT-MARK", metadata={"Author": "PDF著者"})
    message = make_dirty_eml([
        ("山田_報告.docx", "application/octet-stream", make_dirty_docx()),
        ("scan.png", "image/png", pdf),  # the declared type lies; the bytes decide
        ("tool.exe", "application/pdf", b"MZ\x90\x00" + b"\x00" * 200),
    ])
    extraction = extract_detected(message)
    assert MARK["comment"] in extraction.text and MARK["deleted"] in extraction.text
    assert "PDF-ATTACHMENT-MARK" in extraction.text
    assert f"attachment[1]:{DOCX}" in extraction.parts
    assert "attachment[1]/comments" in extraction.parts
    assert "attachment[2]:application/pdf" in extraction.parts
    assert extraction.metadata["attachment[1]:author"] == AUTHOR
    assert extraction.metadata["attachment[2]:author"] == "PDF著者"
    assert ("unsupported_part", "attachment[3]:application/x-dosexec") in reasons(extraction)
    assert not any("山田_報告" in part for part in extraction.parts)  # file names are content
    assert_report_is_clean(extraction, [AUTHOR, "PDF-ATTACHMENT-MARK", MAIL_SUBJECT])


def test_forwarded_message_is_read() -> None:
    inner = make_eml("転送された本文 FORWARDED-MARK", subject="転送元の件名")
    outer = make_eml("転送します", attachments=[("fw.eml", "message/rfc822", inner)])
    extraction = extract_detected(outer)
    assert "FORWARDED-MARK" in extraction.text and "転送元の件名" in extraction.text


def test_nesting_is_bounded() -> None:
    message = make_eml("level 0")
    for level in range(1, MAX_NESTING_DEPTH + 3):
        message = make_eml(f"level {level}",
                           attachments=[(f"l{level}.eml", "message/rfc822", message)])
    extraction = extract_detected(message)
    assert f"level {MAX_NESTING_DEPTH + 2}" in extraction.text
    assert "level 0" not in extraction.text
    assert any(reason == "limit_exceeded" for reason, _part in reasons(extraction))


def test_base64_encoded_forwarded_message_is_decoded_not_read_as_noise() -> None:
    inner = make_eml("転送された本文 B64-FORWARDED-MARK")
    outer = make_eml("転送します", attachments=[("fw.eml", "message/rfc822", inner)],
                     base64_messages=True)
    extraction = extract_detected(outer)
    assert "B64-FORWARDED-MARK" in extraction.text
    assert "attachment[1]:message/rfc822" in extraction.parts
