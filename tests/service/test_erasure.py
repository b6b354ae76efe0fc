"""Crypto-erase through the API (Saitama 第1 3(17)(18) 暗号化消去; NIST SP 800-88 record).

Real database (SQLite, or PostgreSQL with SEKISHO_TEST_DATABASE_URL), real blob store and KEK,
a real ECDSA P-256 signer whose detached CMS signatures openssl verifies.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from sqlalchemy import select

import service.erasure as erasure_module
from core.errors import KeyUnavailable
from keys.wrapped import WrappedKey
from service.accounts import find_user
from service.api.erasures import SIGNER_EXTENSION
from service.audit import verify_chain
from service.erasure_record import certificate_sha256
from service.models import AuditEvent, Blob, Document, Erasure, ObjectKey
from service.runtime import Runtime

MARKER = "個人番号の目印 PLAINTEXT-MARKER-7f3a9c".encode()
OPENSSL = shutil.which("openssl")


class EcdsaCmsSigner:
    """ECDSA P-256 / SHA-256, self-signed certificate, detached CMS SignedData (DER)."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sekisho erasure test")])
        now = datetime.now(UTC)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - timedelta(days=1))
                     .not_valid_after(now + timedelta(days=1))
                     .sign(self.key, hashes.SHA256()))
        self.certificate_pem = self.cert.public_bytes(serialization.Encoding.PEM).decode()

    def sign(self, data: bytes) -> bytes:
        return (pkcs7.PKCS7SignatureBuilder().set_data(data)
                .add_signer(self.cert, self.key, hashes.SHA256())
                .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature,
                                                   pkcs7.PKCS7Options.Binary]))


@pytest.fixture
def signer(app: Any) -> EcdsaCmsSigner:
    made = EcdsaCmsSigner()
    app.extensions[SIGNER_EXTENSION] = made
    return made


@pytest.fixture
def officer(make_user: Any, signer: EcdsaCmsSigner) -> dict[str, str]:
    return dict(make_user("rita", "records_officer"))


@pytest.fixture
def auditor(make_user: Any) -> dict[str, str]:
    return dict(make_user("audrey", "auditor"))


def wrapped_keys(rt: Runtime, document_id: str) -> dict[str, bytes]:
    with rt.sessions() as session:
        blobs = session.execute(select(Blob).where(Blob.document_id == document_id)).scalars()
        return {b.key_id: session.get_one(ObjectKey, b.key_id).wrapped or b"" for b in blobs}


def files_containing(root: Path, needle: bytes) -> list[str]:
    return [str(p) for p in sorted(root.rglob("*")) if p.is_file() and needle in p.read_bytes()]


def erase(client: Any, headers: dict[str, str], document_id: str, **body: str) -> Any:
    return client.post(f"/v1/documents/{document_id}/erase", headers=headers, json=body)


def openssl_verifies(tmp_path: Path, record: bytes, signature: bytes, cert_pem: str) -> bool:
    assert OPENSSL is not None
    (tmp_path / "record.json").write_bytes(record)
    (tmp_path / "record.sig").write_bytes(signature)
    (tmp_path / "signer.pem").write_text(cert_pem)
    done = subprocess.run(
        [OPENSSL, "cms", "-verify", "-binary", "-inform", "DER", "-in", tmp_path / "record.sig",
         "-content", tmp_path / "record.json", "-CAfile", tmp_path / "signer.pem",
         "-purpose", "any", "-out", "/dev/null"], capture_output=True, check=False)
    return done.returncode == 0


def test_erase_destroys_verifies_deletes_and_signs(
        client: Any, rt: Runtime, officer: dict[str, str], auditor: dict[str, str],
        stored: Callable[..., str]) -> None:
    doc_id = stored(original=MARKER + b" original", sanitised=MARKER + b" sanitised")
    keys = wrapped_keys(rt, doc_id)
    with rt.sessions() as session:
        blobs = session.execute(select(Blob).where(Blob.document_id == doc_id)).scalars().all()
        paths = [rt.blobs.root / b.relpath for b in blobs]
        hashes_by_kind = {b.kind: b.sha256 for b in blobs}
    assert all(p.exists() for p in paths)

    response = erase(client, officer, doc_id, reason="保存期間満了")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"/v1/erasures/{body['id']}"
    record = body["record"]
    assert json.loads(base64.b64decode(body["record_base64"])) == record
    assert record["sanitization"]["method"] == "cryptographic erase"
    assert record["sanitization"]["method_type"] == "purge"
    assert sorted(record["sanitization"]["key_ids"]) == sorted(keys)
    assert record["sanitization"]["kek_versions"] == [1]
    assert {o["kind"]: o["plaintext_sha256"] for o in record["media"]["objects"]} == \
        hashes_by_kind
    assert all(o["ciphertext_deleted"] for o in record["media"]["objects"])
    assert record["operator"] == "rita" and record["reason"] == "保存期間満了"
    assert record["software"]["name"] == "sekisho" and record["software"]["version"]
    assert "KEK version(s) v1" in record["media"]["backups"]
    verification = record["verification"]
    assert verification["passed"] is True
    assert {c["open_attempt"] for c in verification["checks"]} == {"key_unavailable"}
    assert not any(c["key_id_resolves"] for c in verification["checks"])
    scanned = {Path(f["path"]).name for f in verification["residue_scan"]["files"]}
    assert "kek-v1.key" in scanned
    if rt.settings.uses_sqlite:
        assert "sekisho.db" in scanned
        assert any("wal_checkpoint(TRUNCATE)" in s for s in verification["key_store_steps"])
        assert "PRAGMA secure_delete=ON" in verification["key_store_steps"]
    else:
        assert "VACUUM object_keys" in verification["key_store_steps"]
        assert "next KEK rotation" in " ".join(verification["scope"])

    assert body["backup_coverage"]["still_alive"] == [1]  # until the next KEK rotation
    assert body["backup_coverage"]["covered"] is False
    assert not any(p.exists() for p in paths)
    assert wrapped_keys(rt, doc_id) == {}
    with rt.sessions() as session:
        assert all(session.get(ObjectKey, k) is None for k in keys)
        assert session.get_one(Document, doc_id).state == "erased"
    assert client.get(f"/v1/documents/{doc_id}/content", headers=officer).status_code in (403, 404)

    read = client.get(f"/v1/erasures/{body['id']}", headers=auditor)
    assert read.status_code == 200 and read.get_json() == body
    assert body["record_sha256"] == hashlib.sha256(
        base64.b64decode(body["record_base64"])).hexdigest()


def test_no_wrapped_key_or_plaintext_is_left_in_the_data_dir(
        client: Any, rt: Runtime, officer: dict[str, str], stored: Callable[..., str]) -> None:
    doc_id = stored(original=MARKER, labelled=MARKER + b" labelled")
    keys = wrapped_keys(rt, doc_id)
    cores = [WrappedKey.from_bytes(w).ciphertext for w in keys.values()]
    data_dir = rt.settings.data_dir
    assert files_containing(data_dir, MARKER) == []  # encrypted from the first byte
    if rt.settings.uses_sqlite:
        # The scan can fail: before the erase the database (or its -wal) holds every key.
        assert all(files_containing(data_dir, core) for core in cores)

    assert erase(client, officer, doc_id).status_code == 201
    for wrapped, core in zip(keys.values(), cores, strict=True):
        assert files_containing(data_dir, wrapped) == []
        assert files_containing(data_dir, core) == []
        assert files_containing(data_dir, core.hex().encode()) == []
    assert files_containing(data_dir, MARKER) == []


@pytest.mark.skipif(OPENSSL is None, reason="openssl CLI not installed (Debian: openssl)")
def test_signature_verifies_with_openssl_and_tampering_is_detected(
        client: Any, rt: Runtime, officer: dict[str, str], auditor: dict[str, str],
        stored: Callable[..., str], tmp_path: Path) -> None:
    doc_id = stored(original=MARKER)
    body = erase(client, officer, doc_id).get_json()
    record = base64.b64decode(body["record_base64"])
    signature = base64.b64decode(body["signature"])
    cert = body["certificate_pem"]
    assert openssl_verifies(tmp_path, record, signature, cert)
    assert body["record"]["signer_certificate_sha256"] == certificate_sha256(cert)

    forged = record.replace(b'"passed":true', b'"passed":false', 1)
    assert forged != record and not openssl_verifies(tmp_path, forged, signature, cert)
    broken = bytearray(signature)
    broken[-5] ^= 0x01
    assert not openssl_verifies(tmp_path, record, bytes(broken), cert)
    other = EcdsaCmsSigner()
    assert not openssl_verifies(tmp_path, record, other.sign(record), cert)

    # A record edited in the database no longer matches the hash chained into the audit log.
    with rt.sessions.begin() as session:
        row = session.get_one(Erasure, body["id"])
        row.record = forged
    event = erased_event(rt, doc_id)
    tampered = client.get(f"/v1/erasures/{body['id']}", headers=auditor).get_json()
    assert event["record_sha256"] == body["record_sha256"]
    assert hashlib.sha256(base64.b64decode(tampered["record_base64"])).hexdigest() != \
        event["record_sha256"]


def erased_event(rt: Runtime, doc_id: str) -> dict[str, Any]:
    with rt.sessions() as session:
        event = session.execute(select(AuditEvent).where(
            AuditEvent.object_id == doc_id, AuditEvent.action == "document.erased")).scalar_one()
        return dict(json.loads(event.details), seq=event.seq)


def test_erasing_again_returns_the_same_record(
        client: Any, rt: Runtime, officer: dict[str, str], stored: Callable[..., str]) -> None:
    doc_id = stored(original=MARKER)
    first = erase(client, officer, doc_id)
    again = erase(client, officer, doc_id, reason="二度目")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    with rt.sessions() as session:
        actions = session.execute(select(AuditEvent.action).where(
            AuditEvent.object_id == doc_id)).scalars().all()
    assert actions.count("document.erased") == 1 and actions.count("document.keys_destroyed") == 1


def test_roles(client: Any, make_user: Any, officer: dict[str, str], auditor: dict[str, str],
               stored: Callable[..., str]) -> None:
    doc_id = stored(original=MARKER)
    for name, role in (("u", "uploader"), ("a", "approver"), ("s", "security_admin")):
        assert erase(client, make_user(name, role), doc_id).status_code == 403
    assert erase(client, auditor, doc_id).status_code == 403
    assert erase(client, {}, doc_id).status_code == 401
    body = erase(client, officer, doc_id).get_json()
    assert client.get(f"/v1/erasures/{body['id']}", headers=officer).status_code == 200
    assert client.get(f"/v1/erasures/{body['id']}",
                      headers=make_user("u2", "uploader")).status_code == 403
    assert client.get("/v1/erasures/nope", headers=auditor).status_code == 404
    assert erase(client, officer, "no-such-document").status_code == 404


def test_audit_chain_verifies_after_erasure(
        client: Any, rt: Runtime, officer: dict[str, str], auditor: dict[str, str],
        stored: Callable[..., str]) -> None:
    ids = [stored(original=MARKER + bytes([n])) for n in range(3)]
    bodies = [erase(client, officer, doc_id).get_json() for doc_id in ids]
    verdict = client.get("/v1/audit/verify", headers=auditor).get_json()
    assert verdict["ok"] is True, verdict
    for doc_id, body in zip(ids, bodies, strict=True):
        event = erased_event(rt, doc_id)
        assert event["record_sha256"] == body["record_sha256"]
        assert event["seq"] == body["audit_seq"]
        assert body["record"]["audit"]["keys_destroyed_event_seq"] < event["seq"]
    with rt.sessions() as session:
        assert verify_chain(session, rt.audit_mac).ok


def test_approver_and_witness_are_other_people(
        client: Any, make_user: Any, officer: dict[str, str], stored: Callable[..., str]) -> None:
    make_user("bob", "approver")
    make_user("wendy", "auditor")
    doc_id = stored(original=MARKER)
    refused = erase(client, officer, doc_id, approver="rita")
    assert refused.status_code == 403 and refused.get_json()["error"] == "separation_of_duties"
    assert erase(client, officer, doc_id, witness="rita").status_code == 403
    assert erase(client, officer, doc_id, witness="nobody").status_code == 400
    assert erase(client, officer, doc_id, approver="wendy").status_code == 400  # not an approver
    assert erase(client, officer, doc_id, colour="blue").status_code == 400
    body = erase(client, officer, doc_id, approver="bob", witness="wendy").get_json()
    record = body["record"]
    assert record["approver"] == "bob" and record["person_validating"]["witness"] == "wendy"


def test_a_document_in_processing_is_not_erased(
        client: Any, rt: Runtime, make_user: Any, officer: dict[str, str]) -> None:
    uploader = make_user("ursula", "uploader")
    response = client.post("/v1/documents", headers=uploader, data=MARKER,
                           content_type="text/plain")
    assert response.status_code == 202  # no worker: the job stays queued
    doc_id = response.get_json()["id"]
    refused = erase(client, officer, doc_id)
    assert refused.status_code == 409
    assert len(wrapped_keys(rt, doc_id)) == 1  # nothing was destroyed


def test_without_a_signer_nothing_is_destroyed(
        client: Any, app: Any, rt: Runtime, officer: dict[str, str], stored: Callable[..., str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    del app.extensions[SIGNER_EXTENSION]  # the service's own key (keys.sign)...

    def no_key(*_: Any) -> Any:
        raise KeyUnavailable("no signing key")

    monkeypatch.setattr(erasure_module, "load_or_create_signer", no_key)  # ...cannot load
    doc_id = stored(original=MARKER)
    response = erase(client, officer, doc_id)
    assert response.status_code == 503 and response.get_json()["error"] == "signer_unavailable"
    assert len(wrapped_keys(rt, doc_id)) == 1


def test_the_service_key_signs_records_that_keys_sign_and_openssl_verify(
        client: Any, app: Any, rt: Runtime, officer: dict[str, str], auditor: dict[str, str],
        stored: Callable[..., str], tmp_path: Path) -> None:
    from keys.sign import SignatureInvalid, verification_certificates, verify_detached

    del app.extensions[SIGNER_EXTENSION]
    body = erase(client, officer, stored(original=MARKER)).get_json()
    record = base64.b64decode(body["record_base64"])
    signature = base64.b64decode(body["signature"])
    published = verification_certificates(rt.settings.kek_dir)
    assert body["certificate_pem"].strip() == published[0].strip()
    verified = verify_detached(record, signature, published)
    assert verified.algorithm == "ECDSA-P256-SHA-256"
    assert verified.certificate_sha256 == body["record"]["signer_certificate_sha256"]
    with pytest.raises(SignatureInvalid):
        verify_detached(record.replace(b'"passed":true', b'"passed":false', 1), signature,
                        published)
    if OPENSSL is not None:
        assert openssl_verifies(tmp_path, record, signature, body["certificate_pem"])


def test_failed_verification_keeps_the_ciphertext_and_a_retry_resumes(
        client: Any, rt: Runtime, officer: dict[str, str], stored: Callable[..., str]) -> None:
    doc_id = stored(original=MARKER)
    (wrapped,) = wrapped_keys(rt, doc_id).values()
    with rt.sessions() as session:
        path = rt.blobs.root / session.execute(
            select(Blob.relpath).where(Blob.document_id == doc_id)).scalar_one()
    leak = rt.settings.kek_dir / "forgotten-backup.bin"  # a copy the erase must not miss
    leak.write_bytes(b"\0" * 100 + wrapped)
    leak.chmod(0o600)

    failed = erase(client, officer, doc_id)
    assert failed.status_code == 500 and failed.get_json()["error"] == "erasure_not_verified"
    assert path.exists()  # kept: no proof, no deletion
    with rt.sessions() as session:
        pending = session.execute(select(Erasure).where(Erasure.document_id == doc_id)).scalar_one()
        assert pending.state == "pending" and pending.record is None
    assert wrapped_keys(rt, doc_id) == {}
    assert wrapped not in json.dumps(pending.details).encode()

    # The retry knows only the digest now, and still finds the framed copy...
    assert erase(client, officer, doc_id).status_code == 500
    leak.unlink()
    # ...and completes once it is gone.
    done = erase(client, officer, doc_id)
    assert done.status_code == 201, done.get_json()
    forms = done.get_json()["record"]["verification"]
    assert forms["passed"] and not path.exists()


def test_a_crash_before_the_record_is_resumed(
        client: Any, rt: Runtime, officer: dict[str, str], stored: Callable[..., str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    doc_id = stored(original=MARKER, sanitised=MARKER)

    def crash(*_: Any) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(erasure_module, "_complete_all", crash)
    assert erase(client, officer, doc_id).status_code == 500
    assert wrapped_keys(rt, doc_id) == {}  # the keys went before the "crash"
    monkeypatch.undo()
    done = erase(client, officer, doc_id)
    assert done.status_code == 201
    record = done.get_json()["record"]
    assert record["verification"]["passed"]
    assert {c["open_attempt"] for c in record["verification"]["checks"]} == {"key_unavailable"}
    assert len(record["media"]["objects"]) == 2


def test_openapi_documents_the_erasure_routes(client: Any) -> None:
    spec = client.get("/v1/openapi.json").get_json()
    assert spec["paths"]["/v1/documents/{document_id}/erase"]["post"]["x-required-roles"] == [
        "records_officer"]
    assert spec["paths"]["/v1/erasures/{erasure_id}"]["get"]["x-required-roles"] == [
        "auditor", "records_officer"]


def test_a_processed_upload_is_erased_end_to_end(
        client: Any, rt: Runtime, make_user: Any, officer: dict[str, str],
        start_worker: Any) -> None:
    from tests.service.conftest import wait_for_state

    start_worker()
    uploader = make_user("ulla", "uploader")
    text = "取扱注意\n".encode() + MARKER + b"\n" * 3
    response = client.post("/v1/documents", headers={**uploader, "X-Sekisho-Filename": "memo.txt"},
                           data=text, content_type="text/plain")
    assert response.status_code == 202, response.get_json()
    doc_id = response.get_json()["id"]
    assert wait_for_state(client, uploader, doc_id)["state"] == "processed"
    keys = wrapped_keys(rt, doc_id)
    with rt.sessions() as session:
        kinds = set(session.execute(select(Blob.kind).where(Blob.document_id == doc_id))
                    .scalars())
    assert kinds == {"original", "sanitised", "labelled"}

    body = erase(client, officer, doc_id).get_json()
    assert body["state"] == "completed" and body["record"]["verification"]["passed"]
    assert {o["kind"] for o in body["record"]["media"]["objects"]} == kinds
    for wrapped in keys.values():
        assert files_containing(rt.settings.data_dir, WrappedKey.from_bytes(wrapped)
                                .ciphertext) == []
    assert files_containing(rt.settings.data_dir, MARKER) == []
    assert client.get(f"/v1/documents/{doc_id}", headers=uploader).get_json()["state"] == \
        "erased"


def test_backups_are_covered_once_the_kek_version_is_destroyed(
        client: Any, rt: Runtime, officer: dict[str, str], auditor: dict[str, str],
        stored: Callable[..., str]) -> None:
    body = erase(client, officer, stored(original=MARKER)).get_json()
    assert body["backup_coverage"]["covered"] is False
    # A rotation with no live keys left to re-wrap: new epoch, old version destroyed.
    rt.kek.create_version()
    rt.kek.destroy_version(1)
    later = client.get(f"/v1/erasures/{body['id']}", headers=auditor).get_json()
    assert later["backup_coverage"] == {**body["backup_coverage"], "still_alive": [],
                                        "covered": True}
    assert later["record"] == body["record"]  # the signed record itself never changes


def test_concurrent_erases_of_one_document_make_one_record(
        rt: Runtime, officer: dict[str, str], signer: EcdsaCmsSigner,
        stored: Callable[..., str]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from service.erasure import EraseRequest, erase_document

    doc_id = stored(original=MARKER, sanitised=MARKER)
    with rt.sessions() as session:
        request = EraseRequest.by(find_user(session, "rita"))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: erase_document(rt, doc_id, request, signer), range(4)))
    assert len({erasure.id for erasure, _ in results}) == 1
    assert len({erasure.record for erasure, _ in results}) == 1
    with rt.sessions() as session:
        actions = session.execute(select(AuditEvent.action).where(
            AuditEvent.object_id == doc_id)).scalars().all()
        assert verify_chain(session, rt.audit_mac).ok
    assert actions.count("document.erased") == 1 and actions.count("document.keys_destroyed") == 1


def test_sekisho_verify_checks_a_saved_erasure_record(
        client: Any, rt: Runtime, officer: dict[str, str], stored: Callable[..., str],
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 5, item 6: `sekisho verify` checks the record's signature, against the
    certificate the verifier trusts, and refuses an edited copy."""
    import json

    from service.cli import main

    body = erase(client, officer, stored(original=MARKER)).get_json()
    cert = tmp_path / "service.pem"  # as an auditor saves it from /v1/verification-keys
    cert.write_text(body["certificate_pem"])

    def verify(document: dict[str, Any], *certs: Path) -> tuple[int, dict[str, Any]]:
        path = tmp_path / "erasure.json"
        path.write_text(json.dumps(document, ensure_ascii=False))
        argv = ["verify", str(path), "--json"]
        for c in certs:
            argv += ["--cert", str(c)]
        code = main(argv)
        return code, json.loads(capsys.readouterr().out)

    code, out = verify(body, cert)
    assert code == 0 and out["valid"] is True, out
    (checked,) = out["signatures"]
    assert checked["erasure_id"] == body["id"] and checked["method"] == "cryptographic erase"

    edited = {**body, "record": {**body["record"], "operator": "someone else"}}
    assert verify(edited, cert)[0] == 1
    forged = dict(body)
    forged["record_base64"] = base64.b64encode(
        base64.b64decode(body["record_base64"]).replace(b'"passed":true', b'"passed":false', 1)
    ).decode()
    forged.pop("record")
    code, out = verify(forged, cert)
    assert code == 1 and out["error"] == "signature_invalid"
    # The certificate inside the JSON is the claim, not the trust anchor.
    stranger = tmp_path / "stranger.pem"
    stranger.write_text(_other_certificate_pem())
    assert verify(body, stranger)[0] == 1


def _other_certificate_pem() -> str:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not the service")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()
