"""Per-document handling settings and derived documents (issue 6, item 2)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.fixtures.pdfgen import make_text_pdf
from tests.service.conftest import run_pending_jobs
from tests.service.test_classification import processed, propose


@pytest.fixture
def alice(make_user: Any) -> dict[str, str]:
    return make_user("alice", "uploader")


@pytest.fixture
def carol(make_user: Any) -> dict[str, str]:
    return make_user("carol", "uploader")


@pytest.fixture
def officer(make_user: Any) -> dict[str, str]:
    return make_user("rita", "records_officer")


def derive(client: Any, headers: dict[str, str], doc_id: str, data: bytes) -> Any:
    return client.post(f"/v1/documents/{doc_id}/derivatives", headers=headers,
                       data={"file": (io.BytesIO(data), "copy.pdf")})


def test_a_copy_inherits_confidentiality_and_restrictions(
        client: Any, rt: Any, alice: dict[str, str]) -> None:
    """Saitama 第3 2(5): the copy of a 機密性3 document with 持ち出し禁止 is 機密性3 with
    持ち出し禁止 even though its own text carries no marking."""
    source = processed(client, rt, alice, make_text_pdf("【極秘】 捜査資料"), "s.pdf")
    assert propose(client, alice, source["id"], {
        "confidentiality": "C3", "integrity": "I1", "availability": "A1",
        "restrictions": ["no_takeout"]}).status_code == 201
    response = derive(client, alice, source["id"], make_text_pdf("要約のみ"))
    assert response.status_code == 202, response.get_json()
    run_pending_jobs(rt)
    copy = client.get(f"/v1/documents/{response.get_json()['id']}", headers=alice).get_json()
    assert copy["labels"]["floor"]["confidentiality"] == "C3"
    assert "no_takeout" in copy["labels"]["floor"]["restrictions"]
    handling = client.get(f"/v1/documents/{copy['id']}/handling", headers=alice).get_json()
    assert handling["kind"] == "derived" and handling["parent_id"] == source["id"]
    # A plain upload of the same text is not raised: the floor came from the source.
    plain = processed(client, rt, alice, make_text_pdf("要約のみ"), "p.pdf")
    assert plain["labels"]["floor"]["confidentiality"] != "C3"


def test_no_copy_source_refuses_derivatives(client: Any, rt: Any, alice: dict[str, str]) -> None:
    source = processed(client, rt, alice, make_text_pdf("【複製禁止】 名簿"), "n.pdf")
    response = derive(client, alice, source["id"], make_text_pdf("写し"))
    assert response.status_code == 403
    assert response.get_json()["error"] == "handling_restricted"
    assert "複製禁止" in response.get_json()["message"]


def test_handling_settings_owner_and_records_staff(
        client: Any, rt: Any, alice: dict[str, str], carol: dict[str, str],
        officer: dict[str, str]) -> None:
    doc = processed(client, rt, alice, make_text_pdf("会議資料"), "m.pdf")
    url = f"/v1/documents/{doc['id']}/handling"
    body = client.put(url, headers=alice, json={
        "named_recipients": ["Yamada@Example.co.jp"], "viewers": ["ito"],
        "contract": "C-2026-07"}).get_json()
    assert body["named_recipients"] == ["yamada@example.co.jp"]
    assert body["contract"] == "C-2026-07"
    assert client.put(url, headers=carol, json={"viewers": []}).status_code == 404
    assert client.put(url, headers=officer, json={"viewers": []}).status_code == 403
    assert client.put(url, headers=alice, json={"legal_hold": True}).status_code == 403
    assert client.put(url, headers=officer, json={"legal_hold": True}).get_json()["legal_hold"]
    bad = client.put(url, headers=alice, json={"named_recipients": "x@example.jp"})
    assert bad.status_code == 400 and "named_recipients" in bad.get_json()["message"]
