"""The pipeline end to end through a real Celery worker: detect -> classify -> sanitise -> label."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from core.settings import Settings
from service.jobs import run_job
from service.models import Job
from tests.fixtures.pdfgen import make_corrupt_pdf, make_text_pdf
from tests.service.conftest import wait_for_state


def my_number(first11: str) -> str:
    """A check-digit-valid 個人番号 (the official algorithm, written independently here)."""
    digits = [int(c) for c in reversed(first11)]
    total = sum(p * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(digits, start=1))
    rest = total % 11
    return first11 + str(0 if rest <= 1 else 11 - rest)


@pytest.fixture
def uploader(make_user: Any) -> dict[str, str]:
    return make_user("alice", "uploader")


def upload(client: Any, headers: dict[str, str], data: bytes, name: str) -> dict[str, Any]:
    response = client.post("/v1/documents", headers=headers,
                           data={"file": (io.BytesIO(data), name)})
    assert response.status_code == 202, response.get_json()
    return dict(response.get_json())


def test_pdf_is_detected_classified_sanitised_and_labelled(
    client: Any, uploader: dict[str, str], start_worker: Any
) -> None:
    start_worker()
    number = my_number("12345678901")
    pdf = make_text_pdf(f"【極秘】 捜査報告書\n個人番号 {number}", javascript=True,
                        metadata={"/Author": "UniqueAuthorName42"}, open_action=True)
    doc = upload(client, uploader, pdf, "report.pdf")
    body = wait_for_state(client, uploader, doc["id"])
    assert body["state"] == "processed", body["error"]
    assert body["content_type"] == "application/pdf"
    assert body["labels"]["label"]["confidentiality"] == "C3"
    assert body["labels"]["display"]["confidentiality"] == "機密性3（高）情報"
    kinds = {f["entity_type"] for f in body["findings"]}
    assert {"CLASSIFICATION_MARKING", "JP_MY_NUMBER"} <= kinds
    assert set(body["report"]) == {"detect", "classify", "sanitise", "label"}
    assert body["job"]["progress"] == 100 and body["job"]["state"] == "succeeded"
    actions = [h["action"] for h in body["history"]]
    assert actions[0] == "document.received" and actions[-1] == "document.processed"
    assert number not in str(body), "a My Number must never be stored or returned"

    content = client.get(f"/v1/documents/{doc['id']}/content", headers=uploader)
    assert content.status_code == 200
    assert content.headers["X-Sekisho-Variant"] == "labelled"
    assert b"UniqueAuthorName42" not in content.data
    with pikepdf.open(io.BytesIO(content.data)) as cleaned:
        assert "/OpenAction" not in cleaned.Root
        assert "/Names" not in cleaned.Root or "/JavaScript" not in cleaned.Root.Names
        assert "/Author" not in cleaned.docinfo
        assert any("C3" in str(v) for v in cleaned.docinfo.values())


def test_no_plaintext_anywhere_under_the_data_directory(
    client: Any, uploader: dict[str, str], start_worker: Any, settings: Settings
) -> None:
    start_worker()
    marker = "ZQXJ-unique-marker-91c4"
    docs = [upload(client, uploader, make_text_pdf(f"本文 {marker} 取扱注意"), "a.pdf"),
            upload(client, uploader, f"平文 {marker}\n".encode() * 100, "b.txt")]
    for doc in docs:
        assert wait_for_state(client, uploader, doc["id"])["state"] == "processed"
        # read it back so that every code path that touches plaintext has run
        assert client.get(f"/v1/documents/{doc['id']}/content",
                          headers=uploader).status_code == 200
    needles = [marker.encode(), marker.encode("utf-16-le"), marker.encode("utf-16-be")]
    scanned = 0
    for path in Path(settings.data_dir).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            scanned += 1
            assert not any(n in data for n in needles), f"plaintext found in {path}"
    assert scanned >= 5  # database, blobs, keys: the scan really looked


def test_unprocessable_files_fail_with_a_stable_code(
    client: Any, uploader: dict[str, str], rt: Any
) -> None:
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
    cases = [(elf, "tool.bin", "unsupported_content"),
             (make_corrupt_pdf(), "broken.pdf", "corrupt_file")]
    for data, name, code in cases:
        doc = upload(client, uploader, data, name)
        with rt.sessions() as session:
            job_id = session.query(Job).filter_by(document_id=doc["id"]).one().id
        assert run_job(rt, job_id) == "failed"
        body = client.get(f"/v1/documents/{doc['id']}", headers=uploader).get_json()
        assert body["state"] == "failed"
        assert body["error"]["code"] == code
        assert body["error"]["message"] and "Traceback" not in body["error"]["message"]


def test_failed_document_can_be_retried_and_processed_cannot(
    client: Any, uploader: dict[str, str], rt: Any
) -> None:
    doc = upload(client, uploader, make_corrupt_pdf(), "broken.pdf")
    with rt.sessions() as session:
        job_id = session.query(Job).filter_by(document_id=doc["id"]).one().id
    run_job(rt, job_id)
    retried = client.post(f"/v1/documents/{doc['id']}/retry", headers=uploader)
    assert retried.status_code == 202
    assert retried.get_json()["state"] == "received"
    assert run_job(rt, job_id) == "failed"
    assert run_job(rt, job_id) == "skipped"  # already finished: nothing to claim
    ok = upload(client, uploader, make_text_pdf("公開資料"), "ok.pdf")
    with rt.sessions() as session:
        ok_job = session.query(Job).filter_by(document_id=ok["id"]).one().id
    assert run_job(rt, ok_job) == "succeeded"
    again = client.post(f"/v1/documents/{ok['id']}/retry", headers=uploader)
    assert again.status_code == 409 and again.get_json()["error"] == "conflict"


def test_worker_killed_mid_job_resumes(
    client: Any, uploader: dict[str, str], start_worker: Any, rt: Any
) -> None:
    slow = start_worker(SEKISHO_DEBUG_STAGE_DELAY_SECONDS="2")
    doc = upload(client, uploader, make_text_pdf("取扱注意 の 資料"), "slow.pdf")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = client.get(f"/v1/documents/{doc['id']}", headers=uploader).get_json()["job"]
        if job["state"] == "running" and job["stages_done"]:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"job never got going: {job}\n{slow.log_path.read_text(errors='replace')}")
    slow.kill()
    killed_at = client.get(f"/v1/documents/{doc['id']}", headers=uploader).get_json()
    assert killed_at["state"] == "processing"
    start_worker()  # a fresh worker finds the expired lease and finishes the job
    body = wait_for_state(client, uploader, doc["id"], timeout=60)
    assert body["state"] == "processed", body
    assert body["job"]["attempts"] >= 2
    assert body["job"]["stages_done"] == ["detect", "classify", "sanitise", "label"]
    assert body["labels"]["label"]["confidentiality"] in ("C2", "C3")


def process_inline(client: Any, rt: Any, headers: dict[str, str], data: bytes,
                   name: str) -> dict[str, Any]:
    """Upload, then run the job in this process (same code path as the worker's task)."""
    doc = upload(client, headers, data, name)
    with rt.sessions() as session:
        job_id = session.query(Job).filter_by(document_id=doc["id"]).one().id
    run_job(rt, job_id)
    return dict(client.get(f"/v1/documents/{doc['id']}", headers=headers).get_json())


def test_name_that_lies_about_the_content_is_a_finding(
    client: Any, uploader: dict[str, str], rt: Any
) -> None:
    body = process_inline(client, rt, uploader, make_text_pdf("公開"), "minutes.txt")
    assert body["state"] == "processed"
    assert body["content_type"] == "application/pdf"  # from the bytes, not the name
    mismatch = [f for f in body["findings"] if f.get("code") == "content_type_mismatch"]
    assert mismatch and mismatch[0]["stage"] == "detect"


def test_label_above_the_ceiling_is_a_finding(
    client: Any, make_user: Any, rt: Any
) -> None:
    """Fire union: 特定個人情報 only in an internet-separated environment (CLS-19)."""
    fire = make_user("fireman", "uploader", profile="soka-yashio-fire")
    text = f"委託業務資料\n個人番号: {my_number('98765432109')}\n".encode()
    body = process_inline(client, rt, fire, text, "list.txt")
    assert body["state"] == "processed"
    assert body["profile"] == "soka-yashio-fire"
    # 特定個人情報 is 重要情報 (C2) that may only be handled internet-separated (CLS-19):
    # a default (internet-connected) deployment's ceiling refuses that restriction.
    assert body["labels"]["label"]["confidentiality"] == "C2"
    assert "internet_separated_only" in body["labels"]["label"]["restrictions"]
    assert body["report"]["label"]["within_ceiling"] is False
    assert any(f.get("code") == "above_ceiling" for f in body["findings"])
    plain = process_inline(client, rt, fire, "委託業務の連絡".encode(), "memo.txt")
    assert plain["report"]["label"]["within_ceiling"] is True
    assert not any(f.get("code") == "above_ceiling" for f in plain["findings"])


def test_stored_findings_are_capped_but_counted(
    client: Any, uploader: dict[str, str], rt: Any
) -> None:
    from service.pipeline import MAX_STORED_FINDINGS

    numbers = [my_number(f"{i:011d}") for i in range(10_000_000_000, 10_000_001_500)]
    text = "\n".join(f"個人番号 {n}" for n in numbers).encode()
    body = process_inline(client, rt, uploader, text, "many.txt")
    assert body["state"] == "processed"
    assert body["report"]["classify"]["findings_total"] == 1500
    stored = [f for f in body["findings"] if f.get("entity_type") == "JP_MY_NUMBER"]
    assert len(stored) == MAX_STORED_FINDINGS
    assert numbers[0] not in str(body)


def test_worker_survives_a_garbage_queue_file(
    client: Any, uploader: dict[str, str], start_worker: Any, settings: Settings
) -> None:
    """kombu's stock filesystem transport stopped the worker on such a file (a CI failure)."""
    if not settings.uses_filesystem_broker:
        pytest.skip("only the default filesystem broker keeps messages as files")
    worker = start_worker()
    (settings.broker_dir / "messages" / "1_garbage.sekisho.msg").write_bytes(b"")
    doc = upload(client, uploader, make_text_pdf("公開資料"), "after.pdf")
    body = wait_for_state(client, uploader, doc["id"])
    assert body["state"] == "processed", body
    assert worker.proc.poll() is None, worker.log_path.read_text(errors="replace")
    assert "dropped an unreadable queue message" in worker.log_path.read_text(errors="replace")
