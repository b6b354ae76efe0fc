"""E-mail: headers from an allow-list, the body as text, attachments through their own
handlers (無害化 of mail, Chiba 2(12)), limits, refusals and labels."""

from __future__ import annotations

import email
import email.policy
import json
from email.message import Message

import pytest

from core.errors import CorruptFile, EncryptedContent, MalwareDetected, VerificationFailed
from handlers.base import Cleaned, CleanOptions, LabelStamp
from handlers.detect import detect
from handlers.mail import MailHandler
from handlers.pdf import PdfHandler
from tests.fixtures.maildirty import (
    KEPT,
    SECRETS,
    make_deep_multipart_eml,
    make_encrypted_eml,
    make_hostile_eml,
    make_html_only_eml,
    make_nested_eml,
    make_signed_eml,
    make_truncated_eml,
)
from tests.fixtures.mailgen import make_eml
from tests.fixtures.pdfgen import make_dirty_pdf
from tests.handlers.archive.support import make_member_cleaner, options_with_cleaner

PDF_AUTHOR = "PDF-AUTHOR-SECRET-77"
ATTACHMENTS = [
    ("請求書.pdf", "application/pdf", make_dirty_pdf("PDF本文", author=PDF_AUTHOR)),
    ("案内.html", "text/html", b"<p>HTML-ATTACHMENT-KEPT <script>ATT-SCRIPT</script></p>"),
    ("tool.exe", "application/octet-stream", b"MZ\x90\x00" + b"\x00" * 200),
]


def _parse(data: bytes) -> Message:
    return email.message_from_bytes(data, policy=email.policy.default)


def _clean(data: bytes, options: CleanOptions | None = None) -> tuple[bytes, MailHandler]:
    with MailHandler.open(data, options or options_with_cleaner()) as handler:
        return handler.clean(), handler


def _body(message: Message) -> str:
    part = message if not message.is_multipart() else message.get_payload()[0]
    return str(part.get_content()).replace("\r\n", "\n")


def test_headers_are_rebuilt_from_the_allow_list() -> None:
    cleaned, handler = _clean(make_hostile_eml())
    message = _parse(cleaned)
    assert [name for name in message.keys() if not name.startswith(("Content-", "MIME-"))] == [
        "Date", "From", "To", "Cc", "Subject", "Message-ID"]
    assert str(message["From"]) == "差出人 山本五郎 <yamamoto@example.jp>"
    assert str(message["To"]) == "recipient@example.go.jp, second@example.go.jp"
    assert str(message["Subject"]) == "請求書gpj.exe のご案内"  # the bidi override is gone
    for secret in SECRETS.values():
        assert secret.encode() not in cleaned, secret
    assert handler.removed["trace_header"] == 3 and handler.removed["bcc_header"] == 1
    assert handler.removed["read_receipt_request"] == 1
    assert {"X-Mailer", "Organization", "X-Originating-IP"} <= set(handler.removed)


def test_inspection_names_kinds_never_values() -> None:
    with MailHandler.open(make_hostile_eml(ATTACHMENTS)) as handler:
        inspection = handler.inspect()
    report = json.dumps(inspection.to_dict(), ensure_ascii=False)
    for value in [*SECRETS.values(), *KEPT.values(), "請求書", "tool.exe"]:
        assert value not in report
    assert inspection.metadata_keys == ("Organization", "X-Mailer", "X-Originating-IP")
    assert inspection.properties["attachments"] == 3


def test_plain_alternative_is_the_body_and_html_is_dropped() -> None:
    cleaned, handler = _clean(make_hostile_eml())
    body = _body(_parse(cleaned))
    assert body == f"{KEPT['body']}\n本文です。\n"
    assert handler.removed["alternative_part"] == 1
    assert detect(cleaned).mime == "message/rfc822"


def test_html_only_body_becomes_text_with_link_targets() -> None:
    cleaned, handler = _clean(make_html_only_eml())
    message = _parse(cleaned)
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    body = _body(message)
    assert KEPT["html"] in body and f"社内リンク ({KEPT['link']})" in body
    for secret in ("script", "comment", "tracker", "author"):
        assert SECRETS[secret] not in body
    assert handler.removed["html_body"] == 1 and handler.removed["html_script"] == 1
    assert handler.removed["html_remote_resource"] == 2


def test_a_mail_body_shows_link_targets_as_text_even_when_links_are_removed() -> None:
    """Issue 7, item 4: HTML bodies become text with the links shown as text; remove_links
    is for the attachments (text/plain cannot be clicked, and the shown target exposes a
    phishing link)."""
    options = CleanOptions(remove_links=True, member_cleaner=make_member_cleaner())
    cleaned, _ = _clean(make_html_only_eml(), options)
    assert f"社内リンク ({KEPT['link']})" in _body(_parse(cleaned))


def test_japanese_mail_is_decoded() -> None:
    cleaned, _ = _clean(make_eml("ISO-2022-JPの本文\n二行目"))
    message = _parse(cleaned)
    assert _body(message) == "ISO-2022-JPの本文\n二行目\n"
    assert str(message["Subject"]) == "【取扱注意】個人情報の送付について"


def test_undecodable_body_bytes_are_replaced_and_reported() -> None:
    data = (b"Date: Mon, 01 Apr 2024 09:00:00 +0900\r\nFrom: a@example.jp\r\n"
            b"Content-Type: text/plain\r\n\r\n" + "本文".encode() + b"\xff\xfe\x80\r\n")
    cleaned, handler = _clean(data)
    assert _body(_parse(cleaned)).startswith("本文\ufffd")
    assert handler.removed == {"undecodable_text": 1}


def test_attachments_go_through_their_own_handlers() -> None:
    calls: list[tuple[str, int]] = []
    options = CleanOptions(member_cleaner=make_member_cleaner(calls=calls))
    cleaned, handler = _clean(make_hostile_eml(ATTACHMENTS), options)
    assert calls == [("application/pdf", 1), ("text/html", 1), ("application/x-dosexec", 1)]
    parts = list(_parse(cleaned).iter_attachments())
    assert [(p.get_content_type(), p.get_filename()) for p in parts] == [
        ("application/pdf", "請求書.pdf"), ("text/plain", "案内.txt")]
    pdf = parts[0].get_content()
    assert PdfHandler.verify(pdf).problems() == [] and PDF_AUTHOR.encode() not in pdf
    assert parts[1].get_content() == "HTML-ATTACHMENT-KEPT\n"
    assert handler.removed["attachment_dropped"] == 1
    assert handler.removed["attachment_dropped:unsupported_content"] == 1
    assert [r.get("dropped") for r in handler.member_reports] == [None, None,
                                                                  "unsupported_content"]
    assert "tool.exe" not in json.dumps(handler.member_reports)


def test_without_a_member_cleaner_attachments_refuse_the_message() -> None:
    with MailHandler.open(make_hostile_eml(ATTACHMENTS)) as handler:
        with pytest.raises(Exception) as raised:
            handler.clean()
    assert getattr(raised.value, "code", None) == "member_cleaner_missing"
    with MailHandler.open(make_hostile_eml()) as plain:
        assert plain.clean()  # nothing to recurse into: no cleaner needed


def test_a_malware_detection_in_an_attachment_refuses_the_message() -> None:
    def infected(data: bytes, name: str, depth: int) -> Cleaned:
        raise MalwareDetected()

    with MailHandler.open(make_hostile_eml(ATTACHMENTS[:1]),
                          CleanOptions(member_cleaner=infected)) as handler:
        with pytest.raises(MalwareDetected):
            handler.clean()


def test_forwarded_messages_are_cleaned_recursively_up_to_the_depth_limit() -> None:
    calls: list[tuple[str, int]] = []
    options = CleanOptions(member_cleaner=make_member_cleaner(calls=calls))
    cleaned, _ = _clean(make_nested_eml(3, "最深部 DEEP-TEXT"), options)
    assert calls == [("message/rfc822", 1), ("message/rfc822", 2)]
    assert _forwarded_levels(cleaned) == 2
    calls.clear()
    too_deep, _ = _clean(make_nested_eml(8, "x"), options)
    # Depths 1-4 are cleaned; the message at depth 4 drops its own attachment (depth 5).
    assert calls == [("message/rfc822", depth) for depth in (1, 2, 3, 4)]
    assert _forwarded_levels(too_deep) == 4


def _forwarded_levels(data: bytes) -> int:
    """How many messages are forwarded inside one another in a cleaned message."""
    levels = 0
    message = _parse(data)
    while (inner := next(message.iter_attachments(), None)) is not None:
        message = inner.get_content()
        levels += 1
    return levels


@pytest.mark.parametrize(("limit", "value", "code"), [
    ("MAX_ATTACHMENTS", 2, "too_many_attachments"),
    ("MAX_ATTACHMENT_BYTES", 100, "attachments_too_large"),
    ("MAX_MAIL_PARTS", 3, "too_many_mail_parts"),
])
def test_limits(monkeypatch: pytest.MonkeyPatch, limit: str, value: int, code: str) -> None:
    monkeypatch.setattr(f"handlers.mail.structure.{limit}", value)
    with pytest.raises(Exception) as raised:
        MailHandler.open(make_hostile_eml(ATTACHMENTS), options_with_cleaner())
    assert getattr(raised.value, "code", None) == code


def test_mime_nesting_limit() -> None:
    with pytest.raises(Exception) as raised:
        MailHandler.open(make_deep_multipart_eml(40))
    assert getattr(raised.value, "code", None) == "mime_nesting_too_deep"


def test_container_depth_limit_at_open() -> None:
    with pytest.raises(Exception) as raised:
        MailHandler.open(make_eml("x"), CleanOptions(depth=5))
    assert getattr(raised.value, "code", None) == "nesting_too_deep"


@pytest.mark.parametrize("data", [
    make_truncated_eml(), b"just some text\nwithout headers\n",
    b"From: a@example.jp\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n",
    b"Subject: no originator\r\n\r\nbody\r\n",
])
def test_broken_messages_are_refused(data: bytes) -> None:
    with pytest.raises(CorruptFile):
        MailHandler.open(data)


def test_encrypted_messages_are_refused() -> None:
    with pytest.raises(EncryptedContent):
        MailHandler.open(make_encrypted_eml())


def test_signatures_are_dropped_and_the_signed_text_kept() -> None:
    cleaned, handler = _clean(make_signed_eml("署名された本文"))
    assert _body(_parse(cleaned)) == "署名された本文\n"
    assert handler.removed["signature"] == 1


def test_clean_is_deterministic_and_idempotent_with_attachments() -> None:
    first, _ = _clean(make_hostile_eml(ATTACHMENTS))
    again, _ = _clean(make_hostile_eml(ATTACHMENTS))
    assert first == again
    twice, handler = _clean(first)
    assert twice == first and handler.removed == {}


STAMP = LabelStamp({"confidentiality": "C2", "restrictions": ["no_copy"]},
                   "機密性2（中）情報　取扱制限：複製禁止")


def test_labels_header_and_visible_line() -> None:
    cleaned, _ = _clean(make_hostile_eml(ATTACHMENTS[:2]))
    assert MailHandler.read_label(cleaned) is None
    labelled = MailHandler.write_label(cleaned, STAMP)
    message = _parse(labelled)
    assert json.loads(str(message["X-Sekisho-Classification"])) == dict(STAMP.label)
    assert MailHandler.read_label(labelled) == dict(STAMP.label)
    assert _body(message).startswith(f"{STAMP.visible}\n\n{KEPT['body']}")
    assert len(list(message.iter_attachments())) == 2
    relabelled = MailHandler.write_label(labelled, LabelStamp({"confidentiality": "C3"}, "機密性3"))
    assert _body(_parse(relabelled)).startswith(f"機密性3\n\n{KEPT['body']}")


def test_a_forged_label_header_is_dropped_and_never_verifies() -> None:
    forged = make_eml("本文").replace(b"MIME-Version", b"X-Sekisho-Classification: {\"a\": 1}"
                                                     b"\r\nMIME-Version")
    with pytest.raises(VerificationFailed, match="label_header"):
        MailHandler.verify(forged)
    cleaned, handler = _clean(forged)
    assert MailHandler.read_label(cleaned) is None
    assert handler.removed["X-Sekisho-Classification"] == 1


def test_labelling_an_uncleaned_message_is_refused() -> None:
    with pytest.raises(VerificationFailed):
        MailHandler.write_label(make_hostile_eml(), STAMP)
