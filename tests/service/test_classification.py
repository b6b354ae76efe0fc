"""Proposals and approvals: never below the floor without a different approver (兼務の禁止)."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
import pytest

from tests.fixtures.pdfgen import make_text_pdf
from tests.service.conftest import run_pending_jobs


@pytest.fixture
def alice(make_user: Any) -> dict[str, str]:
    return make_user("alice", "uploader")


@pytest.fixture
def bob(make_user: Any) -> dict[str, str]:
    return make_user("bob", "approver")


def processed(client: Any, rt: Any, headers: dict[str, str], data: bytes,
              name: str) -> dict[str, Any]:
    doc = client.post("/v1/documents", headers=headers,
                      data={"file": (io.BytesIO(data), name)}).get_json()
    run_pending_jobs(rt)
    body = client.get(f"/v1/documents/{doc['id']}", headers=headers).get_json()
    assert body["state"] == "processed", body
    return dict(body)


def propose(client: Any, headers: dict[str, str], doc_id: str, label: dict[str, Any],
            reason: str = "業務上の判断") -> Any:
    return client.post(f"/v1/documents/{doc_id}/classification", headers=headers,
                       json={"label": label, "reason": reason})


C2 = {"confidentiality": "C2", "integrity": "I1", "availability": "A1"}
C3 = {"confidentiality": "C3", "integrity": "I2", "availability": "A1"}


def test_proposal_covering_the_floor_stands_and_is_written_into_the_file(
    client: Any, rt: Any, alice: dict[str, str]
) -> None:
    doc = processed(client, rt, alice, make_text_pdf("【取扱注意】 会議資料"), "a.pdf")
    assert doc["labels"]["source"] == "system"
    response = propose(client, alice, doc["id"], {**C3, "restrictions": ["no_copy"]})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["approval"] is None and body["decision"]["state"] == "decided"
    assert body["labels"]["source"] == "proposal" and body["labels"]["decided_by"] == "alice"
    run_pending_jobs(rt)  # the relabel job writes the decision into the file
    content = client.get(f"/v1/documents/{doc['id']}/content", headers=alice).data
    with pikepdf.open(io.BytesIO(content)) as pdf:
        written = str(pdf.docinfo["/SekishoClassification"])
    assert '"C3"' in written and "no_copy" in written


def test_below_the_floor_needs_a_different_approver(
    client: Any, rt: Any, alice: dict[str, str], bob: dict[str, str], make_user: Any
) -> None:
    doc = processed(client, rt, alice, make_text_pdf("【極秘】 捜査資料"), "s.pdf")
    assert doc["labels"]["floor"]["confidentiality"] == "C3"
    response = propose(client, alice, doc["id"], C2, reason="公開済みの内容のため")
    assert response.status_code == 201
    approval = response.get_json()["approval"]
    assert approval["state"] == "pending"
    assert [r["code"] for r in approval["reasons"]] == ["below_floor"]
    current = client.get(f"/v1/documents/{doc['id']}", headers=alice).get_json()
    assert current["labels"]["label"]["confidentiality"] == "C3"  # not lowered yet

    # 兼務の禁止: a proposer who also holds the approver role still cannot approve
    both = make_user("carol", "uploader", "approver")
    own = processed(client, rt, both, make_text_pdf("【極秘】 別件"), "o.pdf")
    own_approval = propose(client, both, own["id"], C2).get_json()["approval"]
    refused = client.post(f"/v1/approvals/{own_approval['id']}/approve", headers=both,
                          json={"reason": "自分で承認"})
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "separation_of_duties"
    not_approver = client.post(f"/v1/approvals/{approval['id']}/approve",
                               headers=make_user("dave", "uploader"))
    assert not_approver.status_code == 403

    granted = client.post(f"/v1/approvals/{approval['id']}/approve", headers=bob,
                          json={"reason": "確認済み"})
    assert granted.status_code == 200, granted.get_json()
    labels = granted.get_json()["labels"]
    assert labels["label"]["confidentiality"] == "C2"
    assert labels["source"] == "approval" and labels["decided_by"] == "bob"
    again = client.post(f"/v1/approvals/{approval['id']}/approve", headers=bob)
    assert again.status_code == 409

    history = client.get(f"/v1/documents/{doc['id']}/classification",
                         headers=alice).get_json()["decisions"]
    assert history[-1]["proposed_by"] == "alice" and history[-1]["decided_by"] == "bob"
    assert history[-1]["state"] == "approved" and history[-1]["decided_at"]
    auditor = make_user("audrey", "auditor")
    actions = [e["action"] for e in client.get(
        f"/v1/audit/events?object_id={doc['id']}&limit=500", headers=auditor
    ).get_json()["events"]]
    assert "classification.proposed" in actions and "approval.granted" in actions


def test_rejected_and_superseded_requests(
    client: Any, rt: Any, alice: dict[str, str], bob: dict[str, str]
) -> None:
    doc = processed(client, rt, alice, make_text_pdf("【極秘】 資料"), "r.pdf")
    first = propose(client, alice, doc["id"], C2).get_json()["approval"]
    rejected = client.post(f"/v1/approvals/{first['id']}/reject", headers=bob,
                           json={"reason": "根拠不足"})
    assert rejected.status_code == 200
    assert rejected.get_json()["labels"]["label"]["confidentiality"] == "C3"
    second = propose(client, alice, doc["id"], C2).get_json()["approval"]
    third = propose(client, alice, doc["id"], {**C2, "integrity": "I2"}).get_json()["approval"]
    withdrawn = client.get(f"/v1/approvals/{second['id']}", headers=bob).get_json()
    assert withdrawn["state"] == "withdrawn"
    assert client.post(f"/v1/approvals/{second['id']}/approve", headers=bob).status_code == 409
    pending = client.get("/v1/approvals", headers=bob).get_json()["approvals"]
    assert [a["id"] for a in pending] == [third["id"]]


def test_bad_proposals(client: Any, rt: Any, alice: dict[str, str], make_user: Any) -> None:
    fresh = client.post("/v1/documents", headers=alice,
                        data={"file": (io.BytesIO(b"x"), "x.txt")}).get_json()
    early = propose(client, alice, fresh["id"], C2)
    assert early.status_code == 409 and early.get_json()["error"] == "not_classified_yet"
    doc = processed(client, rt, alice, make_text_pdf("会議資料"), "m.pdf")
    assert propose(client, alice, doc["id"], C2, reason=" ").get_json()["error"] == \
        "reason_required"
    bad = propose(client, alice, doc["id"], {"confidentiality": "C9"})
    assert bad.status_code == 400
    unknown = propose(client, alice, doc["id"], {**C2, "restrictions": ["no_such_thing"]})
    assert unknown.status_code == 400
    mallory = make_user("mallory", "uploader")
    assert propose(client, mallory, doc["id"], C2).status_code == 404
    assert propose(client, make_user("ann", "approver"), doc["id"], C2).status_code == 403


def test_label_above_the_ceiling_is_refused(client: Any, rt: Any, make_user: Any) -> None:
    fire = make_user("fireman", "uploader", profile="soka-yashio-fire")
    doc = processed(client, rt, fire, "委託業務の連絡".encode(), "memo.txt")
    response = propose(client, fire, doc["id"], {"confidentiality": "C3", "integrity": "I1",
                                                 "availability": "A1"})
    assert response.status_code == 422
    assert response.get_json()["error"] == "label_above_ceiling"


def test_unreadable_document_is_never_low(client: Any, rt: Any, alice: dict[str, str]) -> None:
    from tests.fixtures.pdfgen import make_encrypted_pdf

    doc = client.post("/v1/documents", headers=alice,
                      data={"file": (io.BytesIO(make_encrypted_pdf()), "locked.pdf")}).get_json()
    run_pending_jobs(rt)
    body = client.get(f"/v1/documents/{doc['id']}", headers=alice).get_json()
    assert any(f.get("code") == "extraction_incomplete" for f in body["findings"])
    assert body["labels"]["floor"]["confidentiality"] in ("C2", "C3")


def test_saitama_c1_always_needs_an_approver_chiba_does_not(
    client: Any, rt: Any, make_user: Any
) -> None:
    """Saitama 第3 2(2) (LBL-08): 機密性1（低）情報 only with a 上職者's approval."""
    c1 = {"confidentiality": "C1", "integrity": "I1", "availability": "A1"}
    saitama = make_user("sai", "uploader", profile="saitama-police-2023")
    doc = processed(client, rt, saitama, "公開予定の広報文".encode(), "pr.txt")
    approval = propose(client, saitama, doc["id"], c1).get_json()["approval"]
    assert approval is not None
    assert "level_requires_approval" in [r["code"] for r in approval["reasons"]]
    chiba = make_user("chi", "uploader", profile="chiba-pref-2022")
    doc = processed(client, rt, chiba, "公開予定の広報文".encode(), "pr.txt")
    body = propose(client, chiba, doc["id"], c1).get_json()
    assert body["approval"] is None and body["labels"]["label"]["confidentiality"] == "C1"


def test_reported_floor_includes_the_unreadable_floor(
    client: Any, rt: Any, alice: dict[str, str]
) -> None:
    from tests.fixtures.pdfgen import make_encrypted_pdf

    doc = client.post("/v1/documents", headers=alice,
                      data={"file": (io.BytesIO(make_encrypted_pdf()), "l.pdf")}).get_json()
    run_pending_jobs(rt)
    report = client.get(f"/v1/documents/{doc['id']}", headers=alice).get_json()["report"]
    assert report["classify"]["floor"]["confidentiality"] == "C2"
    assert report["classify"]["floor_display"]["confidentiality"] == "機密性2（中）情報"
