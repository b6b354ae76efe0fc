"""The audit chain: any edit, deletion or reordering makes `sekisho audit verify` fail."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import text

from service.audit import append_event, verify_chain
from tests.service.conftest import ROOT, subprocess_env


@pytest.fixture
def chain(rt: Any) -> Any:
    with rt.sessions.begin() as session:
        for i in range(6):
            append_event(session, rt.audit_mac, actor="tester", action="test.event",
                         object_type="thing", object_id=str(i), details={"n": i})
    return rt


def audit_verify(service_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "service.cli", "audit", "verify"],
                          cwd=ROOT, env=subprocess_env(service_env), capture_output=True,
                          text=True, timeout=120)


def seq_of(rt: Any, object_id: str) -> int:
    with rt.sessions() as session:
        return int(session.execute(text("SELECT seq FROM audit_events WHERE action='test.event' "
                                        "AND object_id=:o"), {"o": object_id}).scalar_one())


def test_intact_chain_verifies(chain: Any, service_env: dict[str, str]) -> None:
    result = audit_verify(service_env)
    assert result.returncode == 0, result.stderr
    assert "audit chain OK" in result.stdout


def test_edited_event_is_named(chain: Any, service_env: dict[str, str]) -> None:
    bad = seq_of(chain, "3")
    with chain.sessions.begin() as session:
        session.execute(text("UPDATE audit_events SET actor='mallory' WHERE seq=:s"), {"s": bad})
    result = audit_verify(service_env)
    assert result.returncode == 1
    assert f"event {bad}" in result.stderr and "edited" in result.stderr


def test_deleted_event_is_named(chain: Any, service_env: dict[str, str]) -> None:
    bad = seq_of(chain, "2")
    with chain.sessions.begin() as session:
        session.execute(text("DELETE FROM audit_events WHERE seq=:s"), {"s": bad})
    result = audit_verify(service_env)
    assert result.returncode == 1
    assert f"event {bad}" in result.stderr


def test_deleted_newest_event_is_detected(chain: Any) -> None:
    with chain.sessions.begin() as session:
        session.execute(text("DELETE FROM audit_events WHERE seq=(SELECT max(seq) "
                             "FROM audit_events)"))
    with chain.sessions() as session:
        report = verify_chain(session, chain.audit_mac)
    assert not report.ok and "newest events deleted" in (report.problem or "")


def test_reordered_events_are_detected(chain: Any, service_env: dict[str, str]) -> None:
    a, b = seq_of(chain, "1"), seq_of(chain, "4")
    with chain.sessions.begin() as session:
        session.execute(text("UPDATE audit_events SET seq=-1 WHERE seq=:a"), {"a": a})
        session.execute(text("UPDATE audit_events SET seq=:a WHERE seq=:b"), {"a": a, "b": b})
        session.execute(text("UPDATE audit_events SET seq=:b WHERE seq=-1"), {"b": b})
    result = audit_verify(service_env)
    assert result.returncode == 1
    assert f"event {a}" in result.stderr


def test_rewritten_chain_without_the_key_is_detected(chain: Any) -> None:
    """Recomputing hashes after an edit is not enough: the HMAC needs the key."""
    from service.audit import event_hash
    from service.models import AuditEvent

    with chain.sessions.begin() as session:
        events = session.query(AuditEvent).order_by(AuditEvent.seq).all()
        prev = events[0].prev_hash
        for event in events:
            event.prev_hash = prev
            if event.object_id == "3":
                event.actor = "mallory"
            event.hash = event_hash(event)
            prev = event.hash
    with chain.sessions() as session:
        report = verify_chain(session, chain.audit_mac)
    assert not report.ok and "HMAC" in (report.problem or "")


def test_api_verify_and_events(client: Any, make_user: Any, chain: Any) -> None:
    auditor = make_user("audrey", "auditor")
    assert client.get("/v1/audit/verify", headers=auditor).get_json()["ok"] is True
    events = client.get("/v1/audit/events?limit=3", headers=auditor).get_json()
    assert len(events["events"]) == 3
    more = client.get(f"/v1/audit/events?after={events['next_after']}", headers=auditor)
    assert more.get_json()["events"][0]["seq"] == events["next_after"] + 1


def test_wiped_log_is_detected(chain: Any, service_env: dict[str, str]) -> None:
    with chain.sessions.begin() as session:
        session.execute(text("DELETE FROM audit_events"))
        session.execute(text("DELETE FROM audit_head"))
    result = audit_verify(service_env)
    assert result.returncode == 1
    assert "head is missing" in result.stderr


def test_every_state_change_of_a_document_is_chained(client: Any, make_user: Any,
                                                    rt: Any) -> None:
    import io

    from service.jobs import run_job
    from service.models import Job

    alice = make_user("alice", "uploader")
    doc = client.post("/v1/documents", headers=alice,
                      data={"file": (io.BytesIO("取扱注意".encode()), "a.txt")}).get_json()
    with rt.sessions() as session:
        job_id = session.query(Job).filter_by(document_id=doc["id"]).one().id
    run_job(rt, job_id)
    auditor = make_user("audrey", "auditor")
    events = client.get(f"/v1/audit/events?object_id={doc['id']}",
                        headers=auditor).get_json()["events"]
    assert [e["action"] for e in events] == [
        "document.received", "document.detect", "document.classify", "document.sanitise",
        "document.label", "document.processed"]
    assert client.get("/v1/audit/verify", headers=auditor).get_json()["ok"] is True
