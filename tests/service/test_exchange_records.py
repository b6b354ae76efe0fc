"""Exchange records (Ishikawa 第12(6)): every export decision leaves one; records staff and
auditors search them and export them as JSON or CSV (UTF-8 with BOM for Excel)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest

from service.db import utcnow
from service.exchange import record_exchange
from service.models import ExchangeRecord
from tests.service.test_exports import OUTSIDE, SAITAMA, export, processed_pdf, set_label


@pytest.fixture
def saitama(make_user: Any) -> dict[str, str]:
    return dict(make_user("tanaka", "uploader", profile=SAITAMA))


def records(client: Any, headers: dict[str, str], **query: str) -> Any:
    return client.get("/v1/exchange-records", headers=headers, query_string=query)


def test_every_decision_is_recorded_and_searchable(
        client: Any, rt: Any, saitama: dict[str, str], make_user: Any) -> None:
    doc_id = processed_pdf(client, rt, saitama)
    set_label(rt, doc_id, "C3")
    denied = export(client, saitama, [doc_id]).get_json()
    set_label(rt, doc_id, "C1")
    other = {"name": "=HYPERLINK(\"http://evil\")", "organisation": "他社, \"特殊\"",
             "email": "x@other.example"}
    allowed = export(client, saitama, [doc_id], method="media", recipient=other).get_json()
    assert denied["state"] == "denied" and allowed["state"] == "ready"
    auditor, officer = make_user("gk", "auditor"), make_user("rita", "records_officer")

    every = records(client, auditor).get_json()["records"]
    assert {r["export_id"] for r in every} == {denied["id"], allowed["id"]}
    by_partner = records(client, officer, partner="山田商事").get_json()["records"]
    assert [r["export_id"] for r in by_partner] == [denied["id"]]
    assert by_partner[0]["reasons"][0]["ref"] and by_partner[0]["content"][0]["label"]
    assert "certificate_pem" not in by_partner[0]["partner"]
    assert [r["export_id"] for r in records(client, officer, method="media")
            .get_json()["records"]] == [allowed["id"]]
    assert [r["export_id"] for r in records(client, officer, outcome="denied")
            .get_json()["records"]] == [denied["id"]]
    future = (utcnow() + timedelta(days=1)).isoformat() + "Z"
    assert records(client, officer, **{"from": future}).get_json()["records"] == []
    assert len(records(client, officer, to=future).get_json()["records"]) == 2
    assert records(client, officer, **{"from": "yesterday"}).status_code == 400
    assert records(client, saitama).status_code == 403  # not records staff

    response = records(client, officer, format="csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.data
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "occurred_at", "source"] and len(rows) == 3
    header = rows[0]
    media = next(r for r in rows[1:] if r[header.index("method")] == "media")
    assert media[header.index("partner_organisation")] == "他社, \"特殊\""  # quoted, intact
    assert media[header.index("partner_name")].startswith("'=")  # no formula in Excel
    assert b'"' in raw.split(b"\r\n")[1]  # every cell quoted


def test_record_exchange_keeps_only_identifying_content(rt: Any) -> None:
    """The mail gateway (issue 7) calls record_exchange directly."""
    with rt.sessions.begin() as session:
        record = record_exchange(
            session, source="mail_outbound", profile=SAITAMA, partner=OUTSIDE, method="email",
            content=[{"name": "a.pdf", "sha256": "ab" * 32, "size": 3, "label": None,
                      "data": "秘密の本文"}],
            requested_by="gateway", approvers=[], outcome="rejected",
            reasons=[{"rule": "c3_external_email", "ref": "第3 5(4)"}])
        record_id = record.id
    with rt.sessions() as session:
        stored = session.get_one(ExchangeRecord, record_id)
        assert stored.content == [{"name": "a.pdf", "sha256": "ab" * 32, "size": 3,
                                   "label": None}]
        assert stored.partner_key is not None and "yamada@example.co.jp" in stored.partner_key
    with pytest.raises(ValueError):
        with rt.sessions.begin() as session:
            record_exchange(session, source="fax", profile=SAITAMA, partner=OUTSIDE,
                            method="email", content=[], requested_by=None, approvers=[],
                            outcome="x", reasons=[])
