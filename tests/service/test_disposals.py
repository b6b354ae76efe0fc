"""The disposal workflow of records staff (issue 6, item 5): request -> approval by another
person (SOD-01, Chiba 6.2(10)ウ) -> witness (Ishikawa 立会い, DSP-12) -> crypto-erase in batches
with progress -> one signed record per document, downloadable one by one and as a bundle.

Real database, real KEK, real blobs and the service's real signing key; documents are stored
directly (as bench/erase.py does) so the tests need no processing pipeline.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.states import DOC_ERASED, DOC_PROCESSED
from keys.sign import SignatureInvalid
from service.audit import verify_chain
from service.disposals import DONE, RUNNING, run_disposal, sweep_disposals
from service.models import AuditEvent, Disposal, Document, Erasure, Export, User
from service.record_check import verify_signed_record
from service.runtime import Runtime
from service.versions import record_blob
from tests.service.conftest import ROOT, WORKER_READY_TIMEOUT, subprocess_env

SAITAMA, ISHIKAWA, FIRE = "saitama-police-2023", "ishikawa-police-contractor", "soka-yashio-fire"
Headers = dict[str, str]


@pytest.fixture
def people(make_user: Any) -> dict[str, Headers]:
    return {"officer": make_user("officer", "records_officer", "approver"),
            "approver": make_user("approver", "approver"),
            "approver2": make_user("approver2", "approver"),
            "auditor": make_user("auditor", "auditor"),
            "uploader": make_user("uploader", "uploader")}


@pytest.fixture
def store(rt: Runtime) -> Callable[..., list[str]]:
    """store(n, profile=..., contract=..., parent_id=..., legal_hold=...) -> document ids."""

    def make(count: int = 1, *, profile: str = SAITAMA, **fields: Any) -> list[str]:
        ids = []
        with rt.sessions.begin() as session:
            owner = session.execute(select(User).where(User.name == "uploader")).scalar_one()
            for _ in range(count):
                data = f"secret {uuid.uuid4()}".encode()
                doc = Document(id=str(uuid.uuid4()), owner_id=owner.id, filename="a.txt",
                               size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                               profile=profile, findings=[], report={},
                               **{"state": DOC_PROCESSED, **fields})
                session.add(doc)
                session.flush()
                record_blob(session, doc.id, "original", rt.blobs.put_bytes(data), "text/plain")
                ids.append(doc.id)
        return ids

    return make


def ask(client: Any, headers: Headers, **body: Any) -> Any:
    body.setdefault("reason", "職務上不要")
    return client.post("/v1/disposals", json=body, headers=headers)


def approve(client: Any, headers: Headers, approval_id: str) -> Any:
    return client.post(f"/v1/approvals/{approval_id}/approve", json={"reason": "ok"},
                       headers=headers)


def approved_disposal(client: Any, people: dict[str, Headers], ids: list[str]) -> str:
    created = ask(client, people["officer"], document_ids=ids)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert approve(client, people["approver"], body["approval"]["id"]).status_code == 200
    return str(body["id"])


def erasures_of(rt: Runtime, ids: list[str]) -> list[Erasure]:
    with rt.sessions() as session:
        return list(session.execute(select(Erasure).where(Erasure.document_id.in_(ids)))
                    .scalars())


def test_requester_cannot_approve_and_a_different_approver_can(
        client: Any, rt: Runtime, people: dict[str, Headers],
        store: Callable[..., list[str]]) -> None:
    ids = store(3)
    created = ask(client, people["officer"], document_ids=ids, note="年度末")
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["state"] == "awaiting_approval" and body["total"] == 3
    # SOD-01 / Saitama 第2 1(6): the officer holds the approver role, yet not for their own.
    refused = approve(client, people["officer"], body["approval"]["id"])
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "separation_of_duties"
    assert approve(client, people["approver"], body["approval"]["id"]).status_code == 200
    got = client.get(f"/v1/disposals/{body['id']}", headers=people["officer"]).get_json()
    assert got["state"] == "approved" and got["approver"] == "approver"
    assert got["witness_required"] is False

    assert run_disposal(rt, body["id"]) == DONE
    got = client.get(f"/v1/disposals/{body['id']}", headers=people["auditor"]).get_json()
    assert (got["state"], got["erased"], got["failed"]) == ("done", 3, [])
    assert {e["document_id"] for e in got["erasures"]} == set(ids)
    assert all(e["state"] == "completed" and e["href"] == f"/v1/erasures/{e['erasure_id']}"
               for e in got["erasures"])
    record = client.get(got["erasures"][0]["href"], headers=people["auditor"]).get_json()
    assert record["record"]["approver"] == "approver"  # date, person, content: DSP-09
    assert record["record"]["operator"] == "officer"
    assert record["record"]["reason"].startswith("職務上不要")


def test_ishikawa_needs_a_witness_who_is_neither_requester_nor_approver(
        client: Any, rt: Runtime, people: dict[str, Headers],
        store: Callable[..., list[str]]) -> None:
    ids = store(2, profile=ISHIKAWA)
    disposal_id = approved_disposal(client, people, ids)
    url = f"/v1/disposals/{disposal_id}"
    assert client.get(url, headers=people["officer"]).get_json()["state"] == "awaiting_witness"
    # Nothing runs before the witness (立会い, DSP-12).
    assert run_disposal(rt, disposal_id) == "skipped"
    assert client.post(url + "/execute", headers=people["officer"]).status_code == 409
    for who in ("officer", "approver"):
        response = client.post(url + "/witness", headers=people[who])
        assert response.status_code == 403, who
        assert response.get_json()["error"] == "separation_of_duties"
    assert client.post(url + "/witness", headers=people["uploader"]).status_code == 403
    witnessed = client.post(url + "/witness", headers=people["auditor"])
    assert witnessed.status_code == 200, witnessed.get_json()
    assert witnessed.get_json()["state"] == "approved"
    assert witnessed.get_json()["witness"] == "auditor"

    assert run_disposal(rt, disposal_id) == DONE
    for erasure in erasures_of(rt, ids):
        record = json.loads(erasure.record or b"{}")
        assert record["person_validating"]["witness"] == "auditor"  # 立会い on the record
        assert (record["approver"], record["operator"]) == ("approver", "officer")


def test_contract_scope_takes_the_contract_and_its_copies(
        client: Any, people: dict[str, Headers], store: Callable[..., list[str]]) -> None:
    mine = store(2, profile=FIRE, contract="C-2025-01")
    copy = store(1, profile=FIRE, kind="derived", parent_id=mine[0])  # DSP-03
    copy_of_copy = store(1, profile=FIRE, kind="derived", parent_id=copy[0])
    store(1, profile=FIRE, contract="C-2025-02")  # another contract stays
    store(1, profile=FIRE, contract="C-2025-01", state=DOC_ERASED)  # erased already
    created = ask(client, people["officer"], contract="C-2025-01", reason="契約終了")
    assert created.status_code == 201, created.get_json()
    got = client.get(f"/v1/disposals/{created.get_json()['id']}",
                     headers=people["officer"]).get_json()
    assert sorted(got["document_ids"]) == sorted(mine + copy + copy_of_copy)
    assert got["reason"] == "契約終了" and got["profile"] == FIRE
    assert got["scope"] == {"contract": "C-2025-01"}


def test_profile_scope_takes_the_whole_tenant(
        client: Any, people: dict[str, Headers], store: Callable[..., list[str]]) -> None:
    fire = store(3, profile=FIRE)
    store(2, profile=SAITAMA)
    created = ask(client, people["officer"], profile=FIRE, reason="契約終了")
    assert created.status_code == 201, created.get_json()
    got = client.get(f"/v1/disposals/{created.get_json()['id']}",
                     headers=people["officer"]).get_json()
    assert sorted(got["document_ids"]) == sorted(fire)


def test_legal_hold_and_open_export_are_refused_with_the_documents(
        client: Any, rt: Runtime, people: dict[str, Headers],
        store: Callable[..., list[str]]) -> None:
    held = store(1, legal_hold=True)
    free = store(1)
    response = ask(client, people["officer"], document_ids=held + free)
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "disposal_refused"
    assert body["refusals"] == [{"reason": "legal_hold", "document_ids": held}]
    assert held[0] in body["message"]

    exported = store(1)
    with rt.sessions.begin() as session:
        requester = session.execute(select(User).where(User.name == "uploader")).scalar_one()
        session.add(Export(id=str(uuid.uuid4()), requested_by_id=requester.id, profile=SAITAMA,
                           method="email", recipient={"name": "x"}, document_ids=exported,
                           decision={}, state="ready"))
    response = ask(client, people["officer"], document_ids=free + exported)
    assert response.status_code == 409
    assert response.get_json()["refusals"] == [{"reason": "open_export",
                                                "document_ids": exported}]
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Disposal)) == 0


def test_bad_requests(client: Any, people: dict[str, Headers],
                      store: Callable[..., list[str]]) -> None:
    ids = store(1)
    assert ask(client, people["officer"], document_ids=ids, reason="捨てたい").status_code == 400
    assert ask(client, people["officer"], document_ids=ids, contract="C").status_code == 400
    missing = str(uuid.uuid4())
    response = ask(client, people["officer"], document_ids=[ids[0], missing])
    assert response.status_code == 404 and missing in response.get_json()["message"]
    assert ask(client, people["officer"], profile="nope").status_code == 400
    assert ask(client, people["uploader"], document_ids=ids).status_code == 403
    assert ask(client, people["officer"], contract="none-such").status_code == 409
    assert client.get("/v1/disposals", headers=people["uploader"]).status_code == 403
    assert client.get("/v1/disposals?state=bogus",
                      headers=people["officer"]).status_code == 400


def test_bulk_of_fifty_gives_each_document_a_signed_record_and_one_bundle(
        client: Any, rt: Runtime, people: dict[str, Headers],
        store: Callable[..., list[str]]) -> None:
    ids = store(50)
    disposal_id = approved_disposal(client, people, ids)
    assert run_disposal(rt, disposal_id, batch_size=20) == DONE
    listed = client.get("/v1/disposals?state=done", headers=people["auditor"]).get_json()
    assert [d["id"] for d in listed["disposals"]] == [disposal_id]
    with rt.sessions() as session:
        assert all(d.state == DOC_ERASED for d in session.execute(
            select(Document).where(Document.id.in_(ids))).scalars())
        assert verify_chain(session, rt.audit_mac).ok

    records = client.get(f"/v1/disposals/{disposal_id}/records",
                         headers=people["auditor"]).get_json()["records"]
    assert sorted(r["document_id"] for r in records) == sorted(ids)
    bundle = client.get(f"/v1/disposals/{disposal_id}/records?format=bundle",
                        headers=people["officer"])
    assert bundle.status_code == 200 and bundle.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(bundle.data))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["records"] == 50 and len(manifest["files"]) == 51
    certificate = archive.read("certificate.pem")
    for entry in manifest["files"]:
        data = archive.read(entry["name"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        if entry["name"].startswith("records/"):
            verify_signed_record(json.loads(data), [certificate])  # raises when it fails
    # A record altered inside the bundle no longer verifies.
    first = json.loads(archive.read(manifest["files"][0]["name"]))
    first["record_base64"] = first["record_base64"][:-8] + "AAAAAAA="
    with pytest.raises(SignatureInvalid):
        verify_signed_record(first, [certificate])


def test_an_interrupted_run_resumes_and_erases_each_document_once(
        client: Any, rt: Runtime, people: dict[str, Headers],
        store: Callable[..., list[str]]) -> None:
    ids = store(30)
    disposal_id = approved_disposal(client, people, ids)
    # The "kill": the run stops after two batches, leaving the disposal running.
    assert run_disposal(rt, disposal_id, batch_size=10, stop_after_batches=2) == "interrupted"
    got = client.get(f"/v1/disposals/{disposal_id}", headers=people["officer"]).get_json()
    assert (got["state"], got["erased"], got["total"]) == (RUNNING, 20, 30)
    first = {e.document_id: e.id for e in erasures_of(rt, ids)}
    assert len(first) == 20

    # POST /execute re-queues (idempotent); the rerun continues with the rest.
    assert client.post(f"/v1/disposals/{disposal_id}/execute",
                       headers=people["officer"]).status_code == 202
    assert run_disposal(rt, disposal_id, batch_size=10) == DONE
    final = erasures_of(rt, ids)
    assert sorted(e.document_id for e in final) == sorted(ids)
    assert all(e.state == "completed" and e.record for e in final)
    assert {e.document_id: e.id for e in final if e.document_id in first} == first
    with rt.sessions() as session:
        erased_events = session.execute(select(AuditEvent.object_id).where(
            AuditEvent.action == "document.erased",
            AuditEvent.object_id.in_(ids))).scalars().all()
    assert sorted(str(e) for e in erased_events) == sorted(ids)  # exactly once each
    assert run_disposal(rt, disposal_id) == "skipped"  # done stays done
    assert client.post(f"/v1/disposals/{disposal_id}/execute",
                       headers=people["officer"]).status_code == 200


def test_the_sweep_requeues_approved_and_abandoned_runs_only(
        client: Any, rt: Runtime, people: dict[str, Headers],
        store: Callable[..., list[str]]) -> None:
    waiting, abandoned, finished = (approved_disposal(client, people, store(2))
                                    for _ in range(3))
    assert run_disposal(rt, abandoned, batch_size=1, stop_after_batches=1) == "interrupted"
    assert run_disposal(rt, finished) == DONE
    sent: list[str] = []
    assert sweep_disposals(rt, sent.append, lease_seconds=3600) == []  # all recently active
    assert sorted(sweep_disposals(rt, sent.append, lease_seconds=0)) == sorted(
        [waiting, abandoned])
    assert sorted(sent) == sorted([waiting, abandoned])
    assert run_disposal(rt, abandoned) == DONE


def test_a_hold_placed_after_approval_stops_that_document_only(
        client: Any, rt: Runtime, people: dict[str, Headers],
        store: Callable[..., list[str]]) -> None:
    ids = store(3)
    disposal_id = approved_disposal(client, people, ids)
    with rt.sessions.begin() as session:
        session.get_one(Document, ids[1]).legal_hold = True
    assert run_disposal(rt, disposal_id) == "failed"
    got = client.get(f"/v1/disposals/{disposal_id}", headers=people["officer"]).get_json()
    assert got["erased"] == 2
    assert [(f["document_id"], f["error"]) for f in got["failed"]] == [(ids[1], "legal_hold")]
    with rt.sessions.begin() as session:
        session.get_one(Document, ids[1]).legal_hold = False
    assert client.post(f"/v1/disposals/{disposal_id}/execute",
                       headers=people["officer"]).status_code == 202
    assert run_disposal(rt, disposal_id) == DONE


def test_a_real_worker_runs_the_approved_disposal(
        client: Any, rt: Runtime, people: dict[str, Headers], store: Callable[..., list[str]],
        service_env: dict[str, str], tmp_path: Path) -> None:
    ids = store(5)
    log_path = tmp_path / "disposal-worker.log"
    with open(log_path, "wb") as log:
        # Exactly the worker of `sekisho worker` (service.tasks registers the disposal task).
        worker = subprocess.Popen(
            [sys.executable, "-c", "import service.supervisor as s; s.run_worker()"],
            cwd=ROOT, env=subprocess_env(service_env), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            deadline = time.monotonic() + WORKER_READY_TIMEOUT
            while b"ready." not in log_path.read_bytes() and time.monotonic() < deadline:
                assert worker.poll() is None, log_path.read_text(errors="replace")
                time.sleep(0.1)
            disposal_id = approved_disposal(client, people, ids)  # queued at commit
            deadline = time.monotonic() + 60
            state = ""
            while time.monotonic() < deadline and state != DONE:
                time.sleep(0.2)
                state = client.get(f"/v1/disposals/{disposal_id}",
                                   headers=people["officer"]).get_json()["state"]
            assert state == DONE, log_path.read_text(errors="replace")
        finally:
            os.killpg(worker.pid, 15)
            worker.wait(15)
    assert len(erasures_of(rt, ids)) == 5


def test_a_disposal_whose_approval_expires_ends_expired(
        client: Any, rt: Runtime, people: dict[str, Headers],
        store: Callable[..., list[str]]) -> None:
    from datetime import timedelta

    from service.approvals import expire_overdue
    from service.db import utcnow
    from service.models import Approval

    created = ask(client, people["officer"], document_ids=store(2)).get_json()
    with rt.sessions.begin() as session:
        session.get_one(Approval, created["approval"]["id"]).expires_at = (
            utcnow() - timedelta(minutes=1))
    with rt.sessions.begin() as session:  # what the worker's sweeper does
        assert expire_overdue(session, rt.audit_mac) == 1
    body = client.get(f"/v1/disposals/{created['id']}", headers=people["officer"]).get_json()
    assert body["state"] == "expired" and body["erased"] == 0
    assert approve(client, people["approver"], created["approval"]["id"]).status_code == 409
    assert run_disposal(rt, created["id"]) == "skipped"
