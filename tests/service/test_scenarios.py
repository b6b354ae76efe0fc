"""One end-to-end scenario per seed organisation (issue 6, item 6).

Each test walks one organisation's rules through the real API, pipeline, classifier,
sanitiser, crypto, approvals, exports, exchange records and disposals, and names in its
docstring the requirement ids it proves. Labels come from the documents' own content and
from proposals through the API (no label is written into the database by hand here).
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2
import pytest
from sqlalchemy import select

from keys.export import open_export
from service.disposals import run_disposal
from service.models import Document
from tests.fixtures.pdfgen import make_text_pdf
from tests.service.conftest import run_pending_jobs

SAITAMA, CHIBA = "saitama-police-2023", "chiba-pref-2022"
FIRE, ISHIKAWA = "soka-yashio-fire", "ishikawa-police-contractor"
OUTSIDE = {"name": "山田太郎", "organisation": "株式会社山田商事", "email": "yamada@example.co.jp"}


# -- steps ---------------------------------------------------------------------------------


def upload(client: Any, rt: Any, who: dict[str, str], text: str, name: str) -> dict[str, Any]:
    body = client.post("/v1/documents", headers=who,
                       data={"file": (io.BytesIO(make_text_pdf(text)), name)}).get_json()
    run_pending_jobs(rt)
    doc = client.get(f"/v1/documents/{body['id']}", headers=who).get_json()
    assert doc["state"] == "processed", doc
    return dict(doc)


def propose(client: Any, rt: Any, who: dict[str, str], doc_id: str, c: str, i: str = "I1",
            restrictions: tuple[str, ...] = (), reason: str = "業務上の判断") -> dict[str, Any]:
    response = client.post(f"/v1/documents/{doc_id}/classification", headers=who, json={
        "label": {"confidentiality": c, "integrity": i, "availability": "A1",
                  "restrictions": list(restrictions)}, "reason": reason})
    assert response.status_code == 201, response.get_json()
    run_pending_jobs(rt)  # the relabel job writes the decision into the file
    return dict(response.get_json())


def approve(client: Any, approver: dict[str, str], approval_id: str) -> dict[str, Any]:
    response = client.post(f"/v1/approvals/{approval_id}/approve", headers=approver,
                           json={"reason": "確認した"})
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


def export(client: Any, who: dict[str, str], doc_ids: list[str], method: str,
           recipient: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.post("/v1/exports", headers=who, json={
        "document_ids": doc_ids, "method": method, "recipient": recipient or OUTSIDE})
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def open_with_password(tmp_path: Path, client: Any, who: dict[str, str], export_id: str,
                       password: str) -> bytes:
    """The recipient's side: a PDF export opens in a PDF reader with the password (here
    pikepdf, like qpdf), any other package with ``sekisho open``."""
    package = client.get(f"/v1/exports/{export_id}/package", headers=who)
    assert package.status_code == 200, package.get_json()
    if package.data.startswith(b"%PDF"):
        with pytest.raises(pikepdf.PasswordError):
            pikepdf.open(io.BytesIO(package.data))
        out = io.BytesIO()
        with pikepdf.open(io.BytesIO(package.data), password=password) as pdf:
            pdf.save(out)  # decrypted copy
        return out.getvalue()
    (tmp_path / "package").write_bytes(package.data)
    open_export(tmp_path / "package", tmp_path / "opened", password=password)
    return (tmp_path / "opened").read_bytes()


def dispose(client: Any, rt: Any, officer: dict[str, str], approver: dict[str, str],
            scope: dict[str, Any], reason: str,
            witness: dict[str, str] | None = None) -> dict[str, Any]:
    created = client.post("/v1/disposals", headers=officer, json={**scope, "reason": reason})
    assert created.status_code == 201, created.get_json()
    disposal = created.get_json()
    assert client.post(f"/v1/approvals/{disposal['approval']['id']}/approve",
                       headers=officer).status_code == 403  # 兼務の禁止
    approve(client, approver, disposal["approval"]["id"])
    if witness is not None:
        after = client.get(f"/v1/disposals/{disposal['id']}", headers=officer).get_json()
        assert after["state"] == "awaiting_witness"
        assert client.post(f"/v1/disposals/{disposal['id']}/witness",
                           headers=approver).status_code == 403  # the approver cannot witness
        assert client.post(f"/v1/disposals/{disposal['id']}/witness",
                           headers=witness).status_code == 200
    assert run_disposal(rt, disposal["id"]) == "done"
    done = client.get(f"/v1/disposals/{disposal['id']}", headers=officer).get_json()
    assert done["state"] == "done" and done["erased"] == done["total"]
    return dict(done)


def erasure_records(client: Any, officer: dict[str, str], disposal_id: str) -> list[Any]:
    response = client.get(f"/v1/disposals/{disposal_id}/records", headers=officer)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return list(body["records"] if isinstance(body, dict) else body)


def record_of(entry: dict[str, Any]) -> dict[str, Any]:
    return dict(entry.get("record") or json.loads(base64.b64decode(entry["record_base64"])))


@pytest.fixture
def users(make_user: Any) -> Any:
    def make(profile: str) -> dict[str, dict[str, str]]:
        prefix = profile.split("-")[0]
        return {"staff": make_user(f"{prefix}-staff", "uploader", profile=profile),
                "chief": make_user(f"{prefix}-chief", "approver", profile=profile),
                "other_chief": make_user(f"{prefix}-chief2", "approver", profile=profile),
                "records": make_user(f"{prefix}-records", "records_officer", profile=profile),
                "witness": make_user(f"{prefix}-witness", "auditor", profile=profile)}
    return make


# -- the four organisations ----------------------------------------------------------------


def test_saitama_police(client: Any, rt: Any, users: Any, tmp_path: Path) -> None:
    """Saitama 第3 5(4) (XFR-01): 機密性3 never by external e-mail. 第8 1(3)キ (XFR-02):
    機密性2 by e-mail only encrypted, the password apart from the package. 第3 2(2) (LBL-08):
    a 機密性1 designation needs a superior's approval, never the proposer's own (第2 1(6),
    SOD-01). 第3 2(5) (LBL-05): a copy inherits confidentiality and restrictions."""
    u = users(SAITAMA)
    secret = upload(client, rt, u["staff"], "【極秘】 捜査計画書 関係者限り", "捜査計画.pdf")
    assert secret["labels"]["floor"]["confidentiality"] == "C3"
    c3 = export(client, u["staff"], [secret["id"]], "email")
    assert c3["decision"]["decision"] == "deny" and c3["state"] == "denied"
    assert any("第3 5(4)" in ref for ref in c3["decision"]["requirements"])

    memo = upload(client, rt, u["staff"], "【取扱注意】 会議資料 担当者 山田太郎", "会議資料.pdf")
    assert memo["labels"]["label"]["confidentiality"] == "C2"
    c2 = export(client, u["staff"], [memo["id"]], "email")
    assert c2["decision"]["decision"] == "encryption_required" and c2["state"] == "ready"
    assert any("第8 1(3)キ" in ref for ref in c2["decision"]["requirements"])
    opened = open_with_password(tmp_path, client, u["staff"], c2["id"], c2["password"])
    with pikepdf.open(io.BytesIO(opened)) as pdf:  # the recipient's copy carries its label
        assert '"C2"' in str(pdf.docinfo["/SekishoClassification"])

    plain = upload(client, rt, u["staff"], "公開予定の行事案内", "行事案内.pdf")
    proposal = propose(client, rt, u["staff"], plain["id"], "C1", reason="公表資料のため")
    approval = proposal["approval"]
    assert approval is not None and approval["state"] == "pending"  # 第3 2(2)
    own = client.post(f"/v1/approvals/{approval['id']}/approve", headers=u["staff"])
    assert own.status_code == 403
    approve(client, u["chief"], approval["id"])
    relabelled = client.get(f"/v1/documents/{plain['id']}", headers=u["staff"]).get_json()
    assert relabelled["labels"]["label"]["confidentiality"] == "C1"
    assert relabelled["labels"]["decided_by"] == "saitama-chief"

    propose(client, rt, u["staff"], secret["id"], "C3", restrictions=("no_takeout",))
    copy = client.post(f"/v1/documents/{secret['id']}/derivatives", headers=u["staff"],
                       data={"file": (io.BytesIO(make_text_pdf("要旨のみ")), "要旨.pdf")})
    assert copy.status_code == 202, copy.get_json()
    run_pending_jobs(rt)
    derived = client.get(f"/v1/documents/{copy.get_json()['id']}",
                         headers=u["staff"]).get_json()
    assert derived["labels"]["label"]["confidentiality"] == "C3"
    assert "no_takeout" in derived["labels"]["label"]["restrictions"]
    media = export(client, u["staff"], [derived["id"]], "media")
    assert media["decision"]["decision"] == "deny"  # 持ち出し禁止 went with the copy


def test_chiba_prefecture(client: Any, rt: Any, users: Any, tmp_path: Path) -> None:
    """Chiba 6.2(9)イ (XFR-14): providing 機密性2以上 outside needs the 所属情報セキュリティ責任者's
    permission, by someone other than the requester (5.2ア), and leaves encrypted (6.1(1)イ
    HR-12). 6.2(2) (LBL-01): the classification in the file name, the properties and the
    header. 6.2(10)ア–ウ (DSP-09): disposal with permission, and a record of date and time,
    person and what was done."""
    u = users(CHIBA)
    doc = upload(client, rt, u["staff"], "【取扱注意】 補助金交付台帳 担当者 佐藤花子",
                 "交付台帳.pdf")
    assert doc["labels"]["label"]["confidentiality"] == "C2"
    content = client.get(f"/v1/documents/{doc['id']}/content", headers=u["staff"])
    assert "機密性2" in content.headers["Content-Disposition"] or \
        "%E6%A9%9F%E5%AF%86%E6%80%A72" in content.headers["Content-Disposition"]  # file name
    with pikepdf.open(io.BytesIO(content.data)) as pdf:
        assert '"C2"' in str(pdf.docinfo["/SekishoClassification"])  # properties
    page = pypdfium2.PdfDocument(content.data)[0]
    assert "機密性2" in page.get_textpage().get_text_range()  # the header stamp on the page

    provision = export(client, u["staff"], [doc["id"]], "download")
    assert provision["state"] == "awaiting_approval"
    (pending,) = provision["decision"]["pending_approvals"]
    assert pending["approver"] == "所属情報セキュリティ責任者" and "6.2(9)イ" in pending["ref"]
    (approval_id,) = provision["approval_ids"]
    assert client.post(f"/v1/approvals/{approval_id}/approve",
                       headers=u["staff"]).status_code == 403
    approve(client, u["chief"], approval_id)
    made = client.post(f"/v1/exports/{provision['id']}/package", headers=u["staff"])
    assert made.status_code == 201, made.get_json()
    password = made.get_json()["password"]
    opened = open_with_password(tmp_path, client, u["staff"], provision["id"], password)
    assert opened.startswith(b"%PDF")

    held = client.post("/v1/disposals", headers=u["records"],
                       json={"document_ids": [doc["id"]], "reason": "職務上不要"})
    assert held.status_code == 409  # still under an open export (issue 6, item 5)
    assert held.get_json()["refusals"][0]["reason"] == "open_export"
    sent = client.get(f"/v1/exports/{provision['id']}", headers=u["staff"]).get_json()
    confirmed = client.post(f"/v1/exports/{provision['id']}/delivery-confirmation",
                            headers=u["staff"], json={"size": sent["package"]["size"],
                                                      "sha256": sent["package"]["sha256"]})
    assert confirmed.status_code == 200, confirmed.get_json()

    done = dispose(client, rt, u["records"], u["chief"], {"document_ids": [doc["id"]]},
                   "職務上不要")
    (entry,) = erasure_records(client, u["records"], done["id"])
    record = record_of(entry)
    assert record["time"]["completed_at"] and record["operator"] == "chiba-records"  # 日時・担当者
    assert record["approver"] == "chiba-chief"
    assert record["sanitization"]["method"] == "cryptographic erase"  # 処理内容
    assert client.get(f"/v1/documents/{doc['id']}/content",
                      headers=u["staff"]).status_code in (404, 409, 410)


def test_soka_yashio_fire_union(client: Any, rt: Any, users: Any) -> None:
    """Fire union 2./3. [重要情報] (HR-21): 重要情報 is never copied to removable media; 3.
    [共通] (HR-19): a third party receives union information only with the union's consent;
    4. (CLS-19): 特定個人情報 is refused by an internet-connected deployment and never goes
    towards the internet; 3. [消防組合保有情報] (DSP-14, DSP-07): everything of a contract is
    returned and erased at its end, copies included."""
    u = users(FIRE)
    roster = upload(client, rt, u["staff"],
                    "出動記録 氏名 鈴木一郎 住所 埼玉県草加市高砂1丁目1番1号", "出動記録.pdf")
    assert roster["labels"]["label"]["confidentiality"] == "C2"  # 重要情報 (個人情報)
    media = export(client, u["staff"], [roster["id"]], "media",
                   recipient={"name": "組合 担当", "organisation": "草加八潮消防組合"})
    assert media["decision"]["decision"] == "deny"
    assert media["decision"]["strictest"]["rule"] == "juyo_no_media"
    third = export(client, u["staff"], [roster["id"]], "contractor",
                   recipient={"name": "再委託先", "organisation": "株式会社再委託"})
    assert "third_party_consent" in [p["rule"] for p in third["decision"]["pending_approvals"]]
    for approval_id in third["approval_ids"]:  # the union does not consent
        assert client.post(f"/v1/approvals/{approval_id}/reject", headers=u["chief"],
                           json={"reason": "承諾しない"}).status_code == 200
    refused = client.get(f"/v1/exports/{third['id']}", headers=u["staff"]).get_json()
    assert refused["state"] == "rejected" and refused["package"] is None

    my_number = upload(client, rt, u["staff"], "個人番号 1234 5678 9018 の届出", "届出.pdf")
    findings = [f.get("code") for f in my_number["findings"]]
    assert "above_ceiling" in findings  # CLS-19: this deployment is not internet-separated
    towards_internet = export(client, u["staff"], [my_number["id"]], "email")
    assert towards_internet["decision"]["decision"] == "deny"
    rules = {r["rule"] for r in towards_internet["decision"]["reasons"]}
    assert {"ceiling", "restriction:no_internet"} <= rules

    client.put(f"/v1/documents/{roster['id']}/handling", headers=u["staff"],
               json={"contract": "R8-保守-001"})
    copy = client.post(f"/v1/documents/{roster['id']}/derivatives", headers=u["staff"],
                       data={"file": (io.BytesIO(make_text_pdf("集計表")), "集計.pdf")})
    assert copy.status_code == 202
    run_pending_jobs(rt)
    done = dispose(client, rt, u["records"], u["chief"], {"contract": "R8-保守-001"}, "契約終了")
    assert done["total"] == 2  # the copy is erased with its source (DSP-03)
    with rt.sessions() as session:
        states = {d.id: d.state for d in session.scalars(select(Document).where(
            Document.id.in_([roster["id"], copy.get_json()["id"]])))}
    assert set(states.values()) == {"erased"}


def test_ishikawa_police_contractor(client: Any, rt: Any, users: Any) -> None:
    """Ishikawa 第18 / 第12(7) (HR-22, XFR-20): no sending of 警察情報 without the police's
    prior permission; 第12(4): delivery confirmed by comparing size and hash; 第12(6): every
    exchange recorded with partner, date and time, method, content and approver; 第3 2(6)(7)
    (DSP-12): erasure under a police witness who is neither the requester nor the approver."""
    u = users(ISHIKAWA)
    doc = upload(client, rt, u["staff"], "警察情報 システム設計書 第2版", "設計書.pdf")
    assert doc["labels"]["label"]["confidentiality"] == "C2"  # 警察情報 by default
    police = {"name": "県警 情報管理課", "organisation": "石川県警察"}
    send = export(client, u["staff"], [doc["id"]], "contractor", recipient=police)
    assert send["state"] == "awaiting_approval"
    assert "police_permission_send" in [p["rule"] for p in send["decision"]["pending_approvals"]]
    for approval_id in send["approval_ids"]:
        approve(client, u["chief"], approval_id)
    made = client.post(f"/v1/exports/{send['id']}/package", headers=u["staff"])
    assert made.status_code == 201, made.get_json()
    sent = made.get_json()["package"]
    wrong = client.post(f"/v1/exports/{send['id']}/delivery-confirmation", headers=u["staff"],
                        json={"size": sent["size"] - 1, "sha256": sent["sha256"]})
    assert wrong.status_code == 409 and wrong.get_json()["error"] == "delivery_mismatch"
    assert client.post(f"/v1/exports/{send['id']}/delivery-confirmation", headers=u["staff"],
                       json={"size": sent["size"], "sha256": sent["sha256"]}).status_code == 200

    records = client.get("/v1/exchange-records", headers=u["records"],
                         query_string={"partner": "県警"}).get_json()["records"]
    (record,) = [r for r in records if r["export_id"] == send["id"]]
    assert record["method"] == "contractor" and record["occurred_at"]
    assert record["partner"]["organisation"] == "石川県警察"
    assert record["content"][0]["name"] and len(record["content"][0]["sha256"]) == 64
    assert record["approvers"] == ["ishikawa-chief"]
    csv = client.get("/v1/exchange-records", headers=u["records"],
                     query_string={"format": "csv"})
    assert csv.status_code == 200 and "石川県警察" in csv.data.decode("utf-8-sig")

    done = dispose(client, rt, u["records"], u["chief"], {"document_ids": [doc["id"]]},
                   "職務上不要", witness=u["witness"])
    assert done["witness"] == "ishikawa-witness"
    (entry,) = erasure_records(client, u["records"], done["id"])
    assert record_of(entry)["person_validating"]["witness"] == "ishikawa-witness"
