"""Exports through the API (issue 6, items 1 and 2): the profile decides, approvals by another
person, packages labelled, signed and encrypted with real crypto, 読後廃棄 / 複製禁止 / 配布禁止
enforced, delivery confirmed (Ishikawa 第12(4)) and the staging copy purged (Saitama 第8
1(3)ケ).

Real database, blob store, KEK and signer. Documents are uploaded and processed by the real
pipeline (run in-process); where a test needs a given label it is set directly in the
database afterwards (test setup: the classification flow itself is tested elsewhere).
"""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from core.labels import Availability, Confidentiality, Integrity, Label
from keys.export import open_export
from keys.primitives.asymmetric import PrivateKey
from keys.sign import verification_certificates, verify_detached
from service.db import utcnow
from service.exports import erase_expired_exports
from service.models import Approval, Document, Erasure, ExchangeRecord, Export
from tests.fixtures.pdfgen import make_text_pdf
from tests.service.conftest import run_pending_jobs

SAITAMA, CHIBA = "saitama-police-2023", "chiba-pref-2022"
OUTSIDE = {"name": "山田太郎", "organisation": "株式会社山田商事", "email": "yamada@example.co.jp"}


# -- helpers -------------------------------------------------------------------------------


def processed_pdf(client: Any, rt: Any, headers: dict[str, str], text: str = "会議資料",
                  name: str = "報告書.pdf") -> str:
    body = client.post("/v1/documents", headers=headers,
                       data={"file": (io.BytesIO(make_text_pdf(text)), name)}).get_json()
    run_pending_jobs(rt)
    doc = client.get(f"/v1/documents/{body['id']}", headers=headers).get_json()
    assert doc["state"] == "processed", doc
    return str(body["id"])


def set_label(rt: Any, doc_id: str, c: str, i: str = "I1", restrictions: tuple[str, ...] = (),
              **fields: Any) -> None:
    """Test setup: give a processed document the label (and handling fields) a case needs."""
    with rt.sessions.begin() as session:
        doc = session.get_one(Document, doc_id)
        profile = rt.profile(doc.profile)
        label = profile.with_implied(Label(Confidentiality.from_code(c), Integrity.from_code(i),
                                           Availability.A1, frozenset(restrictions), profile.id))
        doc.label = label.to_dict()
        for key, value in fields.items():
            setattr(doc, key, value)


def export(client: Any, headers: dict[str, str], doc_ids: list[str], method: str = "email",
           recipient: dict[str, str] | None = None, **extra: Any) -> Any:
    return client.post("/v1/exports", headers=headers, json={
        "document_ids": doc_ids, "recipient": recipient or OUTSIDE, "method": method, **extra})


def labelled_content(client: Any, headers: dict[str, str], doc_id: str) -> bytes:
    response = client.get(f"/v1/documents/{doc_id}/content", headers=headers)
    assert response.status_code == 200 and response.headers["X-Sekisho-Variant"] == "labelled"
    return bytes(response.data)


def rsa_recipient() -> tuple[str, PrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "山田商事 受領者")])
    now = utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return (cert.public_bytes(serialization.Encoding.PEM).decode(),
            PrivateKey.from_pem(pem, None))


def open_package(tmp_path: Path, package: bytes, **key: Any) -> bytes:
    (tmp_path / "package").write_bytes(package)
    open_export(tmp_path / "package", tmp_path / "opened", **key)
    return (tmp_path / "opened").read_bytes()


@pytest.fixture
def saitama(make_user: Any) -> dict[str, str]:
    return dict(make_user("tanaka", "uploader", profile=SAITAMA))


@pytest.fixture
def chiba(make_user: Any) -> dict[str, str]:
    return dict(make_user("sato", "uploader", profile=CHIBA))


@pytest.fixture
def approver(make_user: Any) -> dict[str, str]:
    return dict(make_user("kacho", "approver"))


@pytest.fixture
def officer(make_user: Any) -> dict[str, str]:
    return dict(make_user("rita", "records_officer"))


# -- decisions -----------------------------------------------------------------------------


def test_saitama_c3_by_external_mail_is_denied_and_recorded(
        client: Any, rt: Any, saitama: dict[str, str], officer: dict[str, str]) -> None:
    doc_id = processed_pdf(client, rt, saitama)
    set_label(rt, doc_id, "C3")
    response = export(client, saitama, [doc_id])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["state"] == "denied" and body["decision"]["decision"] == "deny"
    assert body["package"] is None and "password" not in body
    assert any("第3 5(4)" in ref for ref in body["decision"]["requirements"])
    assert body["decision"]["strictest"]["rule"] == "c3_external_email"
    with rt.sessions() as session:
        assert session.scalar(select(Document).where(Document.kind == "export_package")) is None
        record = session.get_one(ExchangeRecord, body["exchange_record_id"])
        assert record.outcome == "denied" and record.export_id == body["id"]
        assert any(r["rule"] == "c3_external_email" for r in record.reasons)
        assert record.content[0]["sha256"] and record.partner["email"] == OUTSIDE["email"]


def test_bad_requests_name_the_field(client: Any, rt: Any, saitama: dict[str, str],
                                     make_user: Any) -> None:
    doc_id = processed_pdf(client, rt, saitama)
    missing = export(client, saitama, ["no-such-document"])
    assert missing.status_code == 404 and "no-such-document" in missing.get_json()["message"]
    other = make_user("suzuki", "uploader", profile=SAITAMA)
    assert export(client, other, [doc_id]).status_code == 404  # not theirs to see
    nameless = export(client, saitama, [doc_id], recipient={"email": "a@example.jp"})
    assert nameless.status_code == 400 and "recipient.name" in nameless.get_json()["message"]
    bad_method = export(client, saitama, [doc_id], method="fax")
    assert bad_method.status_code == 400 and "method" in bad_method.get_json()["message"]
    bad_format = export(client, saitama, [doc_id], format="zip")
    assert bad_format.status_code == 400 and "format" in bad_format.get_json()["message"]
    with rt.sessions.begin() as session:
        session.get_one(Document, doc_id).state = "processing"
    busy = export(client, saitama, [doc_id])
    assert busy.status_code == 409 and busy.get_json()["error"] == "not_processed"
    assert export(client, make_user("gk", "auditor"), [doc_id]).status_code == 403


def test_chiba_c2_download_needs_another_persons_permission_then_is_packaged(
        client: Any, rt: Any, chiba: dict[str, str], approver: dict[str, str],
        tmp_path: Path) -> None:
    doc_id = processed_pdf(client, rt, chiba)
    set_label(rt, doc_id, "C2", "I2")
    certificate, private_key = rsa_recipient()
    response = export(client, chiba, [doc_id], method="download",
                      recipient={**OUTSIDE, "certificate_pem": certificate})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["state"] == "awaiting_approval" and body["package"] is None
    assert [p["rule"] for p in body["decision"]["pending_approvals"]] == [
        "c2_external_provision_permission"]
    assert "6.2(9)イ" in " ".join(body["decision"]["requirements"])
    (approval_id,) = body["approval_ids"]
    assert client.get(f"/v1/exports/{body['id']}/package",
                      headers=chiba).get_json()["error"] == "export_not_ready"
    own = client.post(f"/v1/approvals/{approval_id}/approve", headers=chiba)
    assert own.status_code in (403,)  # the requester holds no approver role at all
    granted = client.post(f"/v1/approvals/{approval_id}/approve", headers=approver,
                          json={"reason": "業務上必要"})
    assert granted.status_code == 200, granted.get_json()
    approved = client.get(f"/v1/exports/{body['id']}", headers=chiba).get_json()
    assert approved["state"] == "approved" and approved["package"] is None
    # Only the requester makes the package (a generated password must reach them alone).
    assert client.post(f"/v1/exports/{body['id']}/package",
                       headers=approver).status_code == 403
    made = client.post(f"/v1/exports/{body['id']}/package", headers=chiba)
    assert made.status_code == 201, made.get_json()
    assert client.post(f"/v1/exports/{body['id']}/package",
                       headers=chiba).get_json()["error"] == "export_not_approved"
    after = client.get(f"/v1/exports/{body['id']}", headers=chiba).get_json()
    assert after["state"] == "ready" and after["package"]["format"] == "cms"
    assert after["package"]["signed"]  # integrity 2 (Chiba HR-17)
    package = client.get(f"/v1/exports/{body['id']}/package", headers=chiba)
    assert package.status_code == 200
    assert hashlib.sha256(package.data).hexdigest() == after["package"]["sha256"]
    assert labelled_content(client, chiba, doc_id) not in package.data  # encrypted
    opened = open_package(tmp_path, package.data, private_key=private_key)
    assert opened == labelled_content(client, chiba, doc_id)
    signature = client.get(f"/v1/exports/{body['id']}/signature", headers=chiba).data
    verify_detached(package.data, signature, verification_certificates(rt.settings.kek_dir))
    with rt.sessions() as session:
        record = session.get_one(ExchangeRecord, after["exchange_record_id"])
        assert record.approvers == ["kacho"] and record.outcome == "delivered"
        assert session.get_one(Approval, approval_id).state == "approved"


def test_requester_who_is_an_approver_cannot_grant_their_own_export(
        client: Any, rt: Any, make_user: Any) -> None:
    both = make_user("kakaricho", "uploader", "approver", profile=CHIBA)
    doc_id = processed_pdf(client, rt, both)
    set_label(rt, doc_id, "C2")
    body = export(client, both, [doc_id], method="download").get_json()
    own = client.post(f"/v1/approvals/{body['approval_ids'][0]}/approve", headers=both)
    assert own.status_code == 403 and own.get_json()["error"] == "separation_of_duties"
    rejected = client.post(f"/v1/approvals/{body['approval_ids'][0]}/reject",
                           headers=make_user("bucho", "approver"))
    assert rejected.status_code == 200
    assert client.get(f"/v1/exports/{body['id']}", headers=both).get_json()["state"] == \
        "rejected"


def test_saitama_c2_mail_is_encrypted_and_opens_with_the_password_once_shown(
        client: Any, rt: Any, saitama: dict[str, str], tmp_path: Path) -> None:
    doc_id = processed_pdf(client, rt, saitama)
    set_label(rt, doc_id, "C2")
    response = export(client, saitama, [doc_id], format="sealed")
    body = response.get_json()
    assert response.status_code == 201 and body["state"] == "ready", body
    assert body["decision"]["decision"] == "encryption_required"
    assert body["package"]["format"] == "sealed" and body["password"]
    package = client.get(f"/v1/exports/{body['id']}/package", headers=saitama).data
    opened = open_package(tmp_path, package, password=body["password"])
    assert opened == labelled_content(client, saitama, doc_id)
    with pikepdf.open(io.BytesIO(opened)) as pdf:  # the label travels inside the file
        assert "/SekishoClassification" in pdf.docinfo
    again = client.get(f"/v1/exports/{body['id']}", headers=saitama).get_json()
    assert "password" not in again
    with rt.sessions() as session:  # the password is nowhere: not the record, not the log
        from service.models import AuditEvent

        record = session.get_one(ExchangeRecord, body["exchange_record_id"])
        assert body["password"] not in repr(record.__dict__)
        assert not [e for e in session.scalars(select(AuditEvent))
                    if body["password"] in e.details]


def test_single_pdf_defaults_to_pdf_aes_with_a_password(
        client: Any, rt: Any, saitama: dict[str, str]) -> None:
    doc_id = processed_pdf(client, rt, saitama)
    set_label(rt, doc_id, "C2")
    body = export(client, saitama, [doc_id]).get_json()
    assert body["package"]["format"] == "pdf"
    package = client.get(f"/v1/exports/{body['id']}/package", headers=saitama).data
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(package))
    with pikepdf.open(io.BytesIO(package), password=body["password"]) as pdf:
        assert len(pdf.pages) >= 1


# -- restrictions --------------------------------------------------------------------------


def test_read_once_second_download_is_gone_with_the_erasure_record(
        client: Any, rt: Any, saitama: dict[str, str], officer: dict[str, str]) -> None:
    doc_id = processed_pdf(client, rt, saitama)
    set_label(rt, doc_id, "C2", restrictions=("destroy_after_reading",))
    body = export(client, saitama, [doc_id]).get_json()
    assert body["state"] == "ready" and body["package"]["read_once"], body
    assert body["package"]["expires_at"]
    first = client.get(f"/v1/exports/{body['id']}/package", headers=saitama)
    assert first.status_code == 200 and first.headers["X-Sekisho-Erasure-Id"]
    second = client.get(f"/v1/exports/{body['id']}/package", headers=saitama)
    assert second.status_code == 410
    gone = second.get_json()
    assert gone["error"] == "export_erased"
    assert gone["erasure_id"] == first.headers["X-Sekisho-Erasure-Id"]
    record = client.get(f"/v1/erasures/{gone['erasure_id']}", headers=officer)
    assert record.status_code == 200
    with rt.sessions() as session:
        erasure = session.get_one(Erasure, gone["erasure_id"])
        assert erasure.state == "completed"
        assert erasure.details["request"]["reason"] == "読後廃棄"
        exp = session.get_one(Export, body["id"])
        assert exp.state == "erased"
        assert session.get_one(Document, exp.package_document_id).state == "erased"
        assert session.get_one(ExchangeRecord, body["exchange_record_id"]).staging_purged_at


def test_read_once_deadline_sweep_erases_an_unread_package(
        client: Any, rt: Any, saitama: dict[str, str]) -> None:
    doc_id = processed_pdf(client, rt, saitama)
    set_label(rt, doc_id, "C2", restrictions=("destroy_after_reading",))
    body = export(client, saitama, [doc_id]).get_json()
    assert erase_expired_exports(rt) == []  # not due yet
    with rt.sessions.begin() as session:
        session.get_one(Export, body["id"]).expires_at = utcnow() - timedelta(seconds=1)
    after = client.get(f"/v1/exports/{body['id']}", headers=saitama).get_json()  # lazy sweep
    assert after["state"] == "erased" and after["erasure_id"]
    assert client.get(f"/v1/exports/{body['id']}/package", headers=saitama).status_code == 410


def test_single_provision_one_download_and_no_second_export(
        client: Any, rt: Any, saitama: dict[str, str]) -> None:
    doc_id = processed_pdf(client, rt, saitama)
    set_label(rt, doc_id, "C1", restrictions=("no_copy",))
    body = export(client, saitama, [doc_id]).get_json()
    assert body["state"] == "ready" and body["package"]["max_downloads"] == 1, body
    assert client.get(f"/v1/exports/{body['id']}/package", headers=saitama).status_code == 200
    again = client.get(f"/v1/exports/{body['id']}/package", headers=saitama)
    assert again.status_code == 409 and again.get_json()["error"] == "download_limit_reached"
    second = export(client, saitama, [doc_id]).get_json()
    assert second["state"] == "denied"
    assert second["decision"]["strictest"]["rule"] == "restriction:single_provision"
    with rt.sessions() as session:
        assert session.get_one(Document, doc_id).provisions == 1


def test_no_distribution_only_to_the_named_recipients(
        client: Any, rt: Any, saitama: dict[str, str]) -> None:
    doc_id = processed_pdf(client, rt, saitama)
    set_label(rt, doc_id, "C1", restrictions=("no_distribution",),
              named_recipients=[OUTSIDE["email"]])
    other = export(client, saitama, [doc_id], recipient={"name": "佐々木",
                                                         "email": "sasaki@example.org"})
    assert other.get_json()["state"] == "denied"
    assert other.get_json()["decision"]["strictest"]["rule"] == \
        "restriction:named_recipients_only"
    assert export(client, saitama, [doc_id]).get_json()["state"] == "ready"


def test_restricted_viewers_hide_the_document_from_others(
        client: Any, rt: Any, saitama: dict[str, str], make_user: Any) -> None:
    doc_id = processed_pdf(client, rt, saitama)
    set_label(rt, doc_id, "C2", restrictions=("head_of_unit_only",), viewers=["gk"])
    outsider = make_user("outsider", "records_officer")
    listed = make_user("gk", "auditor")
    head = make_user("shocho", "approver")
    assert client.get(f"/v1/documents/{doc_id}", headers=outsider).status_code == 404
    assert client.get(f"/v1/documents/{doc_id}", headers=listed).status_code == 200
    assert client.get(f"/v1/documents/{doc_id}/content", headers=head).status_code == 200
    assert client.get(f"/v1/documents/{doc_id}", headers=saitama).status_code == 200


# -- delivery confirmation -----------------------------------------------------------------


def test_delivery_confirmation_match_purges_the_staging_copy(
        client: Any, rt: Any, saitama: dict[str, str]) -> None:
    doc_id = processed_pdf(client, rt, saitama)
    set_label(rt, doc_id, "C1")
    body = export(client, saitama, [doc_id]).get_json()
    assert body["decision"]["decision"] == "allow" and body["package"]["format"] == "plain"
    data = client.get(f"/v1/exports/{body['id']}/package", headers=saitama).data
    assert data == labelled_content(client, saitama, doc_id)
    confirmed = client.post(f"/v1/exports/{body['id']}/delivery-confirmation", headers=saitama,
                            json={"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    assert confirmed.status_code == 200, confirmed.get_json()
    out = confirmed.get_json()
    assert out["state"] == "confirmed" and out["package"]["erased"] and out["erasure_id"]
    with rt.sessions() as session:
        record = session.get_one(ExchangeRecord, body["exchange_record_id"])
        assert record.delivery["confirmation"]["match"] is True
        assert record.staging_purged_at is not None and record.outcome == "confirmed"


def test_delivery_mismatch_is_recorded_and_the_package_kept(
        client: Any, rt: Any, saitama: dict[str, str]) -> None:
    doc_id = processed_pdf(client, rt, saitama)
    set_label(rt, doc_id, "C1")
    body = export(client, saitama, [doc_id]).get_json()
    data = client.get(f"/v1/exports/{body['id']}/package", headers=saitama).data
    wrong = client.post(f"/v1/exports/{body['id']}/delivery-confirmation", headers=saitama,
                        json={"size": len(data) - 1, "sha256": "0" * 64})
    assert wrong.status_code == 409 and wrong.get_json()["error"] == "delivery_mismatch"
    bad = client.post(f"/v1/exports/{body['id']}/delivery-confirmation", headers=saitama,
                      json={"size": len(data)})
    assert bad.status_code == 400 and "sha256" in bad.get_json()["message"]
    with rt.sessions() as session:
        record = session.get_one(ExchangeRecord, body["exchange_record_id"])
        assert record.delivery["confirmation"]["match"] is False
        assert record.outcome == "delivery_mismatch" and record.staging_purged_at is None
        exp = session.get_one(Export, body["id"])
        assert session.get_one(Document, exp.package_document_id).state == "processed"


def test_bundle_of_two_takes_the_strictest_label(
        client: Any, rt: Any, saitama: dict[str, str], tmp_path: Path) -> None:
    low = processed_pdf(client, rt, saitama, "公開資料", "a.pdf")
    high = processed_pdf(client, rt, saitama, "内部資料", "b.pdf")
    set_label(rt, low, "C1")
    set_label(rt, high, "C2")
    body = export(client, saitama, [low, high]).get_json()
    assert body["decision"]["decision"] == "encryption_required"
    assert body["decision"]["label"]["confidentiality"] == "C2" and body["decision"]["conflicts"]
    assert body["package"]["format"] == "sealed"
    package = client.get(f"/v1/exports/{body['id']}/package", headers=saitama).data
    import zipfile

    opened = open_package(tmp_path, package, password=body["password"])
    with zipfile.ZipFile(io.BytesIO(opened)) as archive:
        assert len(archive.namelist()) == 2


def test_an_export_whose_approval_expires_ends_expired(
        client: Any, rt: Any, chiba: dict[str, str], approver: dict[str, str]) -> None:
    """Approvals expire (issue 6, item 3); the export waiting on one ends with it instead of
    waiting forever, and the exchange record says so."""
    from service.approvals import expire_overdue

    doc_id = processed_pdf(client, rt, chiba)
    set_label(rt, doc_id, "C2")
    body = export(client, chiba, [doc_id], method="download").get_json()
    assert body["state"] == "awaiting_approval"
    with rt.sessions.begin() as session:
        for approval in session.scalars(select(Approval).where(
                Approval.object_id == body["id"])):
            approval.expires_at = utcnow() - timedelta(minutes=1)
    with rt.sessions.begin() as session:  # what the worker's sweeper does
        assert expire_overdue(session, rt.audit_mac) == 1
    after = client.get(f"/v1/exports/{body['id']}", headers=chiba).get_json()
    assert after["state"] == "expired"
    late = client.post(f"/v1/approvals/{body['approval_ids'][0]}/approve", headers=approver)
    assert late.status_code == 409 and late.get_json()["error"] == "approval_expired"
    with rt.sessions() as session:
        assert session.get_one(ExchangeRecord, after["exchange_record_id"]).outcome == "expired"
