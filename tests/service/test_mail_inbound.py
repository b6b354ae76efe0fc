"""Inbound mail 無害化 and the quarantine (issue 7, item 4): process_inbound on a real
database, a real isolated sanitiser, a real clamd with the tests' EICAR database, and the
release of a quarantined original through the API with separation of duties."""

from __future__ import annotations

import email
import email.policy
import shutil
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.settings import load_settings
from service.accounts import create_token, create_user
from service.app import create_app
from service.bootstrap import initialise
from service.mail.inbound import notice_lines, process_inbound
from service.mail.result import Envelope
from service.models import AuditEvent, Document, ExchangeRecord
from service.runtime import Runtime, build_runtime
from tests.fixtures.clamd import SKIP_REASON, clamd_binary, running_clamd
from tests.fixtures.eicar import eicar
from tests.fixtures.ooxmldirty import make_dirty_word

ENVELOPE = Envelope("sender@outside.example", ("staff@police.pref.saitama.lg.jp",),
                    "192.0.2.10")
LINK = "https://phish.example/login-7f3a"
DOCM = "application/vnd.ms-word.document.macroEnabled.12"


def _message(html: str | None = None, text: str | None = "本文です。",
             attachments: tuple[tuple[str, str, bytes], ...] = ()) -> bytes:
    msg = EmailMessage()
    msg["From"] = "外部 太郎 <sender@outside.example>"
    msg["To"] = "staff@police.pref.saitama.lg.jp"
    msg["Subject"] = "ご案内"
    msg["Date"] = "Mon, 01 Apr 2024 09:00:00 +0900"
    msg["Message-ID"] = "<inbound-test@outside.example>"
    if html is not None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(text or "")
    for name, ctype, data in attachments:
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def _parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _body(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert isinstance(text, str)
    return text


def _records(rt: Runtime) -> list[ExchangeRecord]:
    with rt.sessions() as session:
        return list(session.execute(select(ExchangeRecord)).scalars())


def _audit(rt: Runtime, action: str) -> list[AuditEvent]:
    with rt.sessions() as session:
        return list(session.execute(
            select(AuditEvent).where(AuditEvent.action == action)).scalars())


# --- 無害化 ------------------------------------------------------------------------------------


def test_html_body_becomes_plain_text_with_the_link_text(rt: Runtime) -> None:
    html = (f"<html><body><p>重要なお知らせ</p><a href='{LINK}'>こちらからログイン</a>"
            "<script>alert('x')</script></body></html>")
    result = process_inbound(rt, _message(html=html), ENVELOPE)
    assert result.decision == "rewrite" and result.smtp_code == 250, result
    assert ("X-Sekisho-Decision", "rewrite") in result.add_headers
    assert ("X-Sekisho-Record", result.record_id) in result.add_headers
    assert result.message is not None
    out = _parse(result.message)
    assert out.get_content_type() == "text/plain"
    text = _body(out)
    assert "重要なお知らせ" in text and "こちらからログイン" in text
    # Links shown as text (issue 7, item 4): "label (URL)", nothing clickable is left.
    assert f"こちらからログイン ({LINK})" in text
    assert b"<a " not in result.message and "alert" not in text
    assert "HTML 形式の本文をテキストに変換しました" in text
    (record,) = _records(rt)
    assert record.id == result.record_id
    assert (record.source, record.outcome) == ("mail_inbound", "rewritten")
    assert record.partner["email"] == "sender@outside.example"
    assert record.content[0]["name"] == "message.eml" and len(record.content[0]["sha256"]) == 64
    assert _audit(rt, "exchange.recorded")


def test_macro_document_arrives_disarmed(rt: Runtime) -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed: the pdf inbound mode needs it")
    docm = make_dirty_word("会議資料の本文", macro=True)
    assert b"vbaProject" in docm
    raw = _message(attachments=(("資料.docm", DOCM, docm),))
    result = process_inbound(rt, raw, ENVELOPE)
    assert result.decision == "rewrite", result
    assert result.message is not None and b"vbaProject" not in result.message
    attachments = list(_parse(result.message).iter_attachments())
    assert len(attachments) == 1
    data = attachments[0].get_payload(decode=True)
    assert isinstance(data, bytes) and b"vbaProject" not in data
    # The profile's inbound mode is pdf (Saitama SAN-05, Chiba 2(12)): converted to PDF.
    assert attachments[0].get_content_type() == "application/pdf"
    assert data.startswith(b"%PDF") and attachments[0].get_filename() == "資料.pdf"
    assert result.reasons[0]["attachments_converted"] == 1
    assert "変換しました" in _body(_parse(result.message))
    (record,) = _records(rt)
    assert [c["name"] for c in record.content] == ["message.eml", "資料.docm"]
    assert record.content[1]["label"] is not None


def test_executable_is_removed_with_a_notice(rt: Runtime) -> None:
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 500
    raw = _message(attachments=(("setup.exe", "application/octet-stream", exe),
                                ("memo.txt", "text/plain", "連絡です".encode())))
    result = process_inbound(rt, raw, ENVELOPE)
    assert result.decision == "rewrite", result
    assert result.message is not None
    out = _parse(result.message)
    text = _body(out)
    assert text.startswith("【sekisho】添付ファイル 1 件を削除しました（実行形式）"
                           " / 1 attachment removed (executable)"), text
    assert "本文です。" in text
    names = [a.get_filename() for a in out.iter_attachments()]
    assert names == ["memo.txt"]
    assert result.reasons[0]["attachments_removed"] == {"executable_content": 1}
    # A rewritten message's original is not kept (Saitama 第8 1(3)コ).
    with rt.sessions() as session:
        assert session.execute(select(Document)).first() is None


def test_notice_lines_count_each_reason() -> None:
    lines = notice_lines({"attachment_dropped": 3, "attachment_dropped:executable_content": 2,
                          "attachment_dropped:encrypted_content": 1})
    assert lines == [
        "【sekisho】添付ファイル 1 件を削除しました（暗号化されており検査不能）"
        " / 1 attachment removed (encrypted, cannot be inspected)",
        "【sekisho】添付ファイル 2 件を削除しました（実行形式） / 2 attachments removed "
        "(executable)"]
    assert notice_lines({}) == []


def test_own_failure_is_a_temporary_failure(rt: Runtime, service_env: dict[str, str],
                                           tmp_path: Path) -> None:
    # An unreachable scanner is sekisho's failure: 451, never the original passed on.
    settings = load_settings({**service_env, "SEKISHO_CLAMD": str(tmp_path / "none.sock")})
    broken = build_runtime(settings)
    try:
        result = process_inbound(broken, _message(), ENVELOPE)
    finally:
        broken.engine.dispose()
    assert (result.decision, result.smtp_code, result.smtp_status) == ("tempfail", 451,
                                                                       "4.3.0")
    assert result.message is None
    (record,) = _records(rt)
    assert record.outcome == "tempfail" and record.id == result.record_id


# --- refusal, quarantine and release ---------------------------------------------------------


def test_refused_message_is_quarantined_and_released_by_another_approver(
    rt: Runtime, client: Any, make_user: Callable[..., dict[str, str]],
) -> None:
    raw = b"Subject: no sender, no date\r\n\r\nthe sanitiser cannot rebuild this\r\n"
    result = process_inbound(rt, raw, ENVELOPE)
    assert (result.decision, result.smtp_code, result.smtp_status) == ("reject", 550, "5.7.1")
    assert result.reasons[0]["code"] == "corrupt_file"
    item_id = result.reasons[0]["quarantine_id"]
    (record,) = _records(rt)
    assert record.outcome == "quarantined" and record.id == result.record_id

    requester = make_user("ro-approver", "approver", "records_officer")
    other = make_user("approver-2", "approver")
    auditor = make_user("auditor-1", "auditor")
    uploader = make_user("uploader-1", "uploader")
    assert client.get("/v1/mail/quarantine", headers=uploader).status_code == 403
    listing = client.get("/v1/mail/quarantine", headers=auditor).get_json()
    assert [i["id"] for i in listing["items"]] == [item_id]
    assert listing["items"][0]["status"] == "quarantined"
    assert listing["items"][0]["record_id"] == record.id

    missing = client.post(f"/v1/mail/quarantine/{item_id}/release", json={}, headers=requester)
    assert missing.status_code == 400
    asked = client.post(f"/v1/mail/quarantine/{item_id}/release",
                        json={"reason": "取引先からの正規の請求書か確認する"}, headers=requester)
    assert asked.status_code == 202, asked.get_json()
    approval_id = asked.get_json()["approval"]["approval"]
    assert asked.get_json()["item"]["status"] == "release_requested"

    # Not granted yet: nobody reads it.
    early = client.get(f"/v1/mail/quarantine/{item_id}/original", headers=requester)
    assert early.status_code == 403 and early.get_json()["error"] == "release_not_granted"
    # In the other approvers' inbox, by kind; never decidable by its requester.
    inbox = client.get("/v1/approvals", query_string={"kind": "mail_release"},
                       headers=other).get_json()["approvals"]
    assert [a["id"] for a in inbox] == [approval_id]
    # The requester holds the approver role but cannot grant their own request (SOD-01).
    own = client.post(f"/v1/approvals/{approval_id}/approve", json={}, headers=requester)
    assert own.status_code == 403 and own.get_json()["error"] == "separation_of_duties"
    granted = client.post(f"/v1/approvals/{approval_id}/approve", json={"reason": "確認"},
                          headers=other)
    assert granted.status_code == 200, granted.get_json()

    original = client.get(f"/v1/mail/quarantine/{item_id}/original", headers=requester)
    assert original.status_code == 200 and original.data == raw
    assert original.mimetype == "message/rfc822"
    # Only the requester: the approver who granted it does not get the original.
    assert client.get(f"/v1/mail/quarantine/{item_id}/original",
                      headers=other).status_code == 403
    reads = _audit(rt, "mail.original_read")
    assert [(e.actor, e.object_id) for e in reads] == [("ro-approver", item_id)]
    item = client.get(f"/v1/mail/quarantine/{item_id}", headers=auditor).get_json()
    assert item["status"] == "released"
    assert item["releases"][0]["decided_by"] == "approver-2"
    # The quarantined document never serves its content through /v1/documents.
    with rt.sessions() as session:
        doc = session.get(Document, item_id)
        assert doc is not None and doc.state == "quarantined" and doc.kind == "mail_quarantine"


# --- malware (real clamd) --------------------------------------------------------------------


@pytest.fixture
def clamd_rt(service_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Runtime]:
    if clamd_binary() is None:
        pytest.skip(SKIP_REASON)
    with running_clamd(tmp_path_factory.mktemp("clamd")) as socket_path:
        settings = load_settings({**service_env, "SEKISHO_CLAMD": socket_path})
        initialise(settings, quiet=True)
        runtime = build_runtime(settings)
        yield runtime
        runtime.engine.dispose()


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def _token_of(rt: Runtime, name: str, *roles: str) -> dict[str, str]:
    with rt.sessions.begin() as session:
        user = create_user(session, rt.audit_mac, name=name, roles=roles, profile=None,
                           actor="test", known_profiles=rt.profiles)
        token = create_token(session, rt.audit_mac, user=user, actor="test")
    return {"Authorization": f"Bearer {token}"}


def test_malware_is_rejected_and_quarantined_encrypted(clamd_rt: Runtime) -> None:
    rt = clamd_rt
    msg = _parse(_message())
    msg.add_attachment(eicar().decode("ascii"), filename="invoice.txt", cte="7bit")
    raw = msg.as_bytes()
    assert eicar() in raw  # a 7-bit text part: the plaintext is in the raw message
    result = process_inbound(rt, raw, ENVELOPE)
    assert (result.decision, result.smtp_code, result.smtp_status) == ("reject", 550, "5.7.1")
    assert result.smtp_text_ja == "ウイルスが検出されたため隔離しました"
    assert result.smtp_text_en == "message quarantined: malware detected"
    assert result.message is None
    item_id = result.reasons[0]["quarantine_id"]
    (record,) = _records(rt)
    assert record.outcome == "quarantined" and record.source == "mail_inbound"
    assert _audit(rt, "mail.quarantined")
    with rt.sessions() as session:
        doc = session.get(Document, item_id)
        assert doc is not None and doc.error_code == "malware_detected"
    # Kept only encrypted: neither the EICAR bytes nor the message are in the data dir.
    data_dir = Path(rt.settings.data_dir)
    assert _files_containing(data_dir, eicar()) == []
    assert _files_containing(data_dir, b"inbound-test@outside.example") == []

    client = create_app(rt).test_client()
    requester = _token_of(rt, "ro-1", "records_officer")
    refused = client.post(f"/v1/mail/quarantine/{item_id}/release",
                          json={"reason": "見たい"}, headers=requester)
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "malware_quarantined"


def test_http_inbound_endpoint_returns_the_rewritten_message(client: Any,
                                                             make_user: Any) -> None:
    """POST /v1/mail/inbound for gateways that prefer HTTP (issue 7, item 1): the same
    decision as the milter, the rewritten message in base64; gateway role only."""
    import base64

    gateway = make_user("mx-in", "gateway")
    raw = _message(html=f"<p>請求書の確認</p><a href='{LINK}'>こちら</a>")
    url = ("/v1/mail/inbound?mail_from=sender@outside.example"
           "&rcpt_to=staff@police.pref.saitama.lg.jp")
    answer = client.post(url, data=raw, headers={**gateway, "Content-Type": "message/rfc822"})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["decision"] == "rewrite" and body["record_id"]
    rewritten = _parse(base64.b64decode(body["message_base64"]))
    assert rewritten.get_content_type() == "text/plain"
    assert f"こちら ({LINK})" in _body(rewritten)
    uploader = make_user("someone", "uploader")
    assert client.post(url, data=raw, headers={
        **uploader, "Content-Type": "message/rfc822"}).status_code == 403
