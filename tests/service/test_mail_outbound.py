"""Outbound mail gateway (issue 7, items 1-3): real database, classifiers, sanitisers and
crypto; the only thing generated is the mail."""

from __future__ import annotations

import email
import email.policy
import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from keys.export import load_private_key, open_export
from service.exchange import exchange_json
from service.mail import analysis
from service.mail.outbound import process_outbound
from service.mail.result import Envelope, MailResult
from service.models import ExchangeRecord
from service.runtime import Runtime
from tests.fixtures.mailgen import (
    DOCX_TYPE,
    attachment_part,
    deep_nesting,
    header_bomb,
    make_message,
    many_parts,
    pgp_message,
    smime_message,
    text_part,
    tnef_part,
    truncated_multipart,
)
from tests.fixtures.officegen import make_docx

PROFILES = ("saitama-police-2023", "chiba-pref-2022", "ishikawa-police-contractor",
            "soka-yashio-fire")
SENDER = "sender@police.pref.saitama.lg.jp"
EXTERNAL = "partner@example.com"
INTERNAL = "colleague@police.pref.saitama.lg.jp"


def _with_profile(rt: Runtime, profile: str) -> Runtime:
    return replace(rt, settings=replace(rt.settings, profile=profile))


def _send(rt: Runtime, raw: bytes, *rcpt: str, sender: str = SENDER) -> MailResult:
    return process_outbound(rt, raw, Envelope(sender, tuple(rcpt)))


def _record(rt: Runtime, record_id: str | None) -> dict[str, Any]:
    assert record_id is not None
    with rt.sessions() as session:
        record = session.get(ExchangeRecord, record_id)
        assert record is not None
        return exchange_json(record)


def _c3_docx() -> bytes:
    return make_docx(["極秘", "見積書：本件は極秘扱いとする。"])


def _c2_docx() -> bytes:
    return make_docx(["取扱注意", "連絡先 03-1234-5678 担当 山田太郎"])


# -- the core cases ------------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_c3_attachment_to_external_rejected_under_every_profile(rt: Runtime,
                                                                profile: str) -> None:
    runtime = _with_profile(rt, profile)
    raw = make_message([text_part("ご確認ください。"),
                        attachment_part("mitsumori.docx", DOCX_TYPE, _c3_docx(),
                                        naming="plain")])
    result = _send(runtime, raw, EXTERNAL)
    assert result.decision == "reject"
    assert (result.smtp_code, result.smtp_status) == (550, "5.7.1")
    assert "mitsumori.docx" in result.smtp_text_ja
    assert "mitsumori.docx" in result.smtp_text_en
    assert "rule " in result.smtp_text_en
    assert all(len(t.encode()) < 512 for t in (result.smtp_text_ja, result.smtp_text_en))
    assert result.message is None
    record = _record(runtime, result.record_id)
    assert record["source"] == "mail_outbound" and record["outcome"] == "reject"
    assert record["profile"] == profile
    assert [c["name"] for c in record["content"]] == ["本文", "mitsumori.docx"]
    assert ("X-Sekisho-Decision", "reject") in result.add_headers


def test_saitama_c3_reject_names_rule_and_requirement(rt: Runtime) -> None:
    raw = make_message([text_part("送付します"),
                        attachment_part("見積.docx", DOCX_TYPE, _c3_docx())])
    result = _send(rt, raw, EXTERNAL)
    assert result.decision == "reject"
    # RFC 2231 file name decoded and named in the Japanese text; escaped in the English one.
    assert "「見積.docx」" in result.smtp_text_ja
    assert "第3 5(4)" in result.smtp_text_ja or "XFR-01" in result.smtp_text_ja
    assert result.smtp_text_en.isascii()
    assert "\\u898b\\u7a4d.docx" in result.smtp_text_en
    rules = {r["rule"] for r in result.reasons}
    assert "c3_external_email" in rules or "mail_c3_external" in rules


def test_saitama_c2_attachment_encrypted_password_to_sender(rt: Runtime,
                                                           tmp_path: Path) -> None:
    raw = make_message([text_part("資料を送付します。"),
                        attachment_part("連絡先.docx", DOCX_TYPE, _c2_docx())])
    result = _send(rt, raw, EXTERNAL)
    assert result.decision == "rewrite", result.reasons
    assert result.smtp_code == 250 and result.message is not None
    [notice] = result.notifications
    assert notice.to == SENDER
    password = notice.body.split("パスワード: ", 1)[1].split("\n", 1)[0].strip()
    assert len(password) >= 12
    assert password.encode() not in result.message
    out = email.message_from_bytes(result.message, policy=email.policy.default)
    attachments = list(out.iter_attachments())
    [package] = [a for a in attachments if (a.get_filename() or "").endswith(".sealed")]
    assert "山田太郎".encode() not in result.message
    sealed, opened = tmp_path / "p.sealed", tmp_path / "opened"
    sealed.write_bytes(package.get_content())
    fmt, size = open_export(sealed, opened, password=password)
    assert fmt == "sealed" and size > 0
    assert opened.read_bytes()[:2] == b"PK"  # the sanitised, labelled DOCX
    headers = dict(result.add_headers)
    assert headers["X-Sekisho-Decision"] == "rewrite"
    assert headers["X-Sekisho-Label"].startswith("saitama-police-2023 C2")
    assert headers["X-Sekisho-Record"] == result.record_id
    record = _record(rt, result.record_id)
    assert record["outcome"] == "rewrite"
    assert password not in str(record)
    assert "c2_external_email_encrypted" in {r["rule"] for r in record["reasons"]}


def test_internal_recipient_passes_unchanged(rt: Runtime) -> None:
    raw = make_message([text_part("内部向け"),
                        attachment_part("見積.docx", DOCX_TYPE, _c3_docx())],
                       to=(INTERNAL,))
    result = _send(rt, raw, INTERNAL)
    assert result.decision == "pass" and result.smtp_code == 250
    assert result.message is None
    assert ("X-Sekisho-Decision", "pass") in result.add_headers
    record = _record(rt, result.record_id)
    assert record["outcome"] == "pass"
    assert [c["name"] for c in record["content"]] == ["本文", "見積.docx"]


def test_internal_domains_from_settings(rt: Runtime) -> None:
    runtime = replace(rt, settings=replace(rt.settings, internal_domains=("example.com",)))
    raw = make_message([text_part("関連組織向け"),
                        attachment_part("見積.docx", DOCX_TYPE, _c3_docx())])
    assert _send(runtime, raw, EXTERNAL).decision == "pass"


def test_many_external_recipients_moved_to_bcc(rt: Runtime) -> None:
    externals = ("a@example.com", "b@example.net", "c@example.org")
    raw = make_message(text_part("お知らせ"), to=externals, cc=(INTERNAL,))
    result = _send(rt, raw, *externals, INTERNAL)
    assert result.decision == "rewrite", result.reasons
    assert result.message is not None
    out = email.message_from_bytes(result.message, policy=email.policy.default)
    assert str(out["To"]) == "undisclosed-recipients:;"
    assert INTERNAL in str(out["Cc"])
    for address in externals:
        assert address.encode() not in result.message
    many = [r for r in result.reasons if r["rule"] == "many_recipients"]
    assert many and "第8 1(3)ク" in many[0]["ref"]


def test_plain_external_mail_passes_with_metadata_stripped(rt: Runtime) -> None:
    raw = make_message([text_part("こんにちは"),
                        attachment_part("memo.txt", "text/plain", "会議は10時から".encode())])
    result = _send(rt, raw, EXTERNAL)
    assert result.decision == "pass", result.reasons
    assert result.message is not None  # the attachment was replaced by its sanitised version
    assert "metadata_stripped" in {r["rule"] for r in result.reasons}


# -- MIME ----------------------------------------------------------------------------------


def test_analysis_decodes_japanese_headers_names_and_bodies() -> None:
    raw = make_message([text_part("シフトJISの本文", "shift_jis"),
                        text_part("<p>HTMLの本文</p>", "utf-8", "html"),
                        attachment_part("報告書.txt", "text/plain", b"x", naming="rfc2047"),
                        attachment_part("見積.txt", "text/plain", b"y",
                                        encoding="quoted-printable")],
                       subject="【取扱注意】件名テスト")
    found = analysis.analyse(raw)
    assert found.subject == "【取扱注意】件名テスト"
    assert "シフトJISの本文" in found.body_text and "HTMLの本文" in found.body_text
    assert [a.name for a in found.attachments] == ["報告書.txt", "見積.txt"]
    assert found.addresses("To") == [("", EXTERNAL)]


def test_raw_shift_jis_subject_decoded() -> None:
    raw = make_message(text_part("本文")).replace(
        b"Subject: ", b"Subject: " + "生の件名".encode("cp932") + b" X-Old: ", 1)
    assert analysis.analyse(raw).subject.startswith("生の件名")


def test_tnef_and_smime_and_pgp_detected(rt: Runtime) -> None:
    found = analysis.analyse(make_message([text_part("添付"), tnef_part()]))
    assert [p.name for p in found.tnef] == ["winmail.dat"]
    assert analysis.analyse(smime_message()).opaque[0].content_type == \
        "application/pkcs7-mime"
    assert analysis.analyse(pgp_message()).opaque[0].content_type == "multipart/encrypted"
    for raw in (make_message([text_part("添付"), tnef_part()]), smime_message()):
        result = _send(rt, raw, EXTERNAL)
        assert result.decision == "reject"
        assert result.reasons[0]["rule"] == "mail_opaque_parts"
        assert _record(rt, result.record_id)["outcome"] == "reject"


@pytest.mark.parametrize(("raw", "code"), [
    (header_bomb(), "mail_header_bomb"),
    (many_parts(1000), "mail_too_many_parts"),
    (deep_nesting(40), "mail_nesting_too_deep"),
    (truncated_multipart(), "mail_malformed"),
    (b"\x00\x01not a message at all", "mail_malformed"),
])
def test_bad_input_clear_5xx_and_record(rt: Runtime, raw: bytes, code: str) -> None:
    result = _send(rt, raw, EXTERNAL)
    assert result.decision == "reject" and result.smtp_code == 550
    assert result.smtp_status.startswith("5.")
    assert code in result.smtp_text_en
    record = _record(rt, result.record_id)
    assert record["outcome"] == "reject" and record["reasons"][0]["rule"] == code


def test_oversize_message_refused(rt: Runtime) -> None:
    runtime = replace(rt, settings=replace(rt.settings, max_upload_bytes=10_000))
    raw = make_message([text_part("大きい"), attachment_part("big.txt", "text/plain",
                                                            b"a" * 20_000)])
    result = _send(runtime, raw, EXTERNAL)
    assert (result.decision, result.smtp_status) == ("reject", "5.3.4")


def test_failure_is_tempfail_never_pass(rt: Runtime) -> None:
    broken = replace(rt, profiles={})  # sekisho's own failure: the profile cannot load
    result = _send(broken, make_message(text_part("本文")), EXTERNAL)
    assert result.decision == "tempfail" and result.smtp_code == 451
    assert result.message is None


def test_every_message_writes_a_record(rt: Runtime) -> None:
    for raw in (make_message(text_part("a"), to=(INTERNAL,)), header_bomb()):
        _send(rt, raw, INTERNAL)
    with rt.sessions() as session:
        sources = list(session.execute(select(ExchangeRecord.source)).scalars())
    assert sources.count("mail_outbound") == 2


def test_sanitiser_timeout_is_tempfail(rt: Runtime) -> None:
    runtime = replace(rt, settings=replace(rt.settings, sanitise_timeout_seconds=0.001))
    raw = make_message([text_part("こんにちは"),
                        attachment_part("memo.txt", "text/plain", "会議".encode())])
    result = _send(runtime, raw, EXTERNAL)
    assert result.decision == "tempfail" and result.smtp_code == 451
    assert result.message is None
    assert _record(rt, result.record_id)["outcome"] == "tempfail"


def test_known_certificate_gets_cms(rt: Runtime, tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, EXTERNAL)])
    import datetime

    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / f"{EXTERNAL}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    runtime = replace(rt, settings=replace(rt.settings, recipient_cert_dir=certs))
    raw = make_message([text_part("資料"),
                        attachment_part("連絡先.docx", DOCX_TYPE, _c2_docx())])
    result = _send(runtime, raw, EXTERNAL)
    assert result.decision == "rewrite", result.reasons
    assert result.notifications == []  # no password: the recipient's key opens it
    assert result.message is not None
    out = email.message_from_bytes(result.message, policy=email.policy.default)
    [package] = [a for a in out.iter_attachments()
                 if (a.get_filename() or "").endswith(".p7m")]
    sealed, opened = tmp_path / "p.p7m", tmp_path / "opened"
    sealed.write_bytes(package.get_content())
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    fmt, _size = open_export(sealed, opened, private_key=load_private_key(key_file))
    assert fmt == "cms" and opened.read_bytes()[:2] == b"PK"


# -- HTTP ----------------------------------------------------------------------------------


def test_http_outbound_gateway_only(client: Any, make_user: Any) -> None:
    gateway = make_user("mta", "gateway")
    uploader = make_user("alice", "uploader")
    raw = make_message([text_part("送付します"),
                        attachment_part("mitsumori.docx", DOCX_TYPE, _c3_docx(),
                                        naming="plain")])
    url = f"/v1/mail/outbound?mail_from={SENDER}&rcpt_to={EXTERNAL}"
    headers = {"Content-Type": "message/rfc822"}
    assert client.post(url, data=raw, headers={**uploader, **headers}).status_code == 403
    assert client.post(url, data=raw, headers=headers).status_code == 401
    answer = client.post(url, data=raw, headers={**gateway, **headers})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["decision"] == "reject" and body["smtp"]["code"] == 550
    assert "mitsumori.docx" in body["smtp"]["text_en"]
    assert body["record_id"] and "message_base64" not in body
    wrong = client.post(url, data=raw, headers={**gateway, "Content-Type": "text/plain"})
    assert wrong.status_code == 415


def test_http_outbound_rewrite_returns_message(client: Any, make_user: Any) -> None:
    import base64

    gateway = make_user("mta", "gateway")
    raw = make_message([text_part("資料"),
                        attachment_part("連絡先.docx", DOCX_TYPE, _c2_docx())])
    # No envelope in the query: the From and To headers are used.
    answer = client.post("/v1/mail/outbound", data=raw,
                         headers={**gateway, "Content-Type": "message/rfc822"})
    body = answer.get_json()
    assert body["decision"] == "rewrite", body
    assert body["notifications"][0]["to"] == SENDER
    assert "body" not in body["notifications"][0]
    message = base64.b64decode(body["message_base64"])
    assert b".sealed" in message


def test_http_outbound_size_limit(rt: Runtime, make_user: Any) -> None:
    from service.app import create_app

    small = replace(rt, settings=replace(rt.settings, max_upload_bytes=2000))
    client = create_app(small).test_client()
    gateway = make_user("mta", "gateway")
    raw = make_message([text_part("x"), attachment_part("a.txt", "text/plain", b"a" * 5000)])
    answer = client.post("/v1/mail/outbound", data=raw,
                         headers={**gateway, "Content-Type": "message/rfc822"})
    assert answer.status_code == 413


# -- a recorded approval -------------------------------------------------------------------


def test_recorded_export_approval_lets_the_attachment_go_encrypted(
        client: Any, rt: Any, make_user: Any) -> None:
    from tests.fixtures.pdfgen import make_text_pdf
    from tests.service.test_exports import run_pending_jobs

    chiba = dict(make_user("sato", "uploader", profile="chiba-pref-2022"))
    approver = dict(make_user("kacho", "approver"))
    runtime = _with_profile(rt, "chiba-pref-2022")
    text = "取扱注意 連絡先 03-1234-5678 担当 山田太郎"
    pdf = make_text_pdf(text)
    raw = make_message([text_part("資料"), attachment_part("資料.pdf", "application/pdf", pdf)],
                       from_address="sato@pref.chiba.lg.jp")
    before = _send(runtime, raw, EXTERNAL, sender="sato@pref.chiba.lg.jp")
    assert before.decision == "reject"
    assert "承認が記録されていない" in before.smtp_text_ja
    assert "approval not recorded" in before.smtp_text_en
    # The same bytes are uploaded, approved for this recipient, then attached.
    doc_id = client.post("/v1/documents", headers=chiba,
                         data={"file": (io.BytesIO(pdf), "資料.pdf")}).get_json()["id"]
    run_pending_jobs(rt)
    body = client.post("/v1/exports", headers=chiba, json={
        "document_ids": [doc_id], "method": "email",
        "recipient": {"name": "取引先", "email": EXTERNAL}}).get_json()
    assert body["state"] == "awaiting_approval", body
    (approval_id,) = body["approval_ids"]
    granted = client.post(f"/v1/approvals/{approval_id}/approve", headers=approver,
                          json={"reason": "業務上必要"})
    assert granted.status_code == 200, granted.get_json()
    after = _send(runtime, raw, EXTERNAL, sender="sato@pref.chiba.lg.jp")
    assert after.decision == "rewrite", after.reasons
    assert after.notifications and after.notifications[0].to == "sato@pref.chiba.lg.jp"
    # Another recipient has no approval: still refused.
    other = _send(runtime, raw, "someone@example.net", sender="sato@pref.chiba.lg.jp")
    assert other.decision == "reject"
