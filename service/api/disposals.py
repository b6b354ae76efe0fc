"""/v1/disposals: the disposal workflow of records staff (issue 6, item 5; service.disposals).

Records officers ask; an approver who is not the requester grants through /v1/approvals
(SOD-01); a third person witnesses where the profile asks (Ishikawa 立会い, DSP-12); a worker
erases in batches; the signed records are read one by one or as one ZIP bundle.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from sqlalchemy import select

from core.errors import InvalidRequest, NotFound
from core.roles import APPROVER, AUDITOR, RECORDS_OFFICER, SECURITY_ADMIN
from service.auth import current_user, require_roles
from service.disposals import (
    STATES,
    WITNESS_ROLES,
    DisposalRefused,
    approver_of,
    erasure_refs,
    erasures_of,
    parse_request,
    request_disposal,
    requeue_disposal,
    witness_disposal,
)
from service.erasure import COMPLETED
from service.erasure_record import canonical_json, erasure_json
from service.models import Approval, Disposal, Erasure, User
from service.runtime import db_session, runtime

bp = Blueprint("disposals", __name__, url_prefix="/v1")
# Those who decide or witness must see what they decide on (need-to-know otherwise).
VIEWERS = frozenset({RECORDS_OFFICER, AUDITOR, APPROVER, SECURITY_ADMIN})
PAGE_MAX = 200


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def _name(user_id: int | None) -> str | None:
    user = db_session().get(User, user_id) if user_id is not None else None
    return user.name if user is not None else None


def disposal_json(disposal: Disposal, *, with_erasures: bool = False) -> dict[str, Any]:
    session = db_session()
    approver = approver_of(session, disposal)
    approval = session.get(Approval, disposal.approval_id) if disposal.approval_id else None
    out: dict[str, Any] = {
        "id": disposal.id, "state": disposal.state, "profile": disposal.profile,
        "scope": disposal.scope, "reason": disposal.reason, "note": disposal.note,
        "requested_by": disposal.requested_by.name,
        "approval": {"id": approval.id, "state": approval.state} if approval else None,
        "approver": approver.name if approver else None,
        "witness_required": disposal.witness_required, "witness": _name(disposal.witness_id),
        "witnessed_at": _iso(disposal.witnessed_at),
        "total": disposal.total, "erased": disposal.erased, "failed": disposal.failed,
        "created_at": _iso(disposal.created_at), "started_at": _iso(disposal.started_at),
        "completed_at": _iso(disposal.completed_at),
        "links": {"self": url_for("disposals.get_disposal", disposal_id=disposal.id),
                  "records": url_for("disposals.get_records", disposal_id=disposal.id)}}
    if with_erasures:
        out["document_ids"] = disposal.document_ids
        out["erasures"] = [
            {"document_id": doc_id, "erasure_id": erasure_id, "state": state,
             "href": url_for("erasures.get_erasure", erasure_id=erasure_id)}
            for doc_id, erasure_id, state in erasure_refs(session, disposal.document_ids)]
    return out


def _load(disposal_id: str, *, lock: bool = False) -> Disposal:
    disposal = db_session().get(Disposal, disposal_id, with_for_update=lock)
    if disposal is None:
        raise NotFound(f"no disposal {disposal_id}")
    return disposal


def _prepare_session() -> None:
    # The approval handler and the after-commit enqueue find the runtime's MAC and settings.
    rt = runtime()
    db_session().info.update(audit_mac=rt.audit_mac, settings=rt.settings)


@bp.post("/disposals")
@require_roles(RECORDS_OFFICER)
def create_disposal() -> tuple[Response, int, dict[str, str]] | tuple[Response, int]:
    rt = runtime()
    ask = parse_request(request.get_json(silent=True), rt.profiles)
    _prepare_session()
    session = db_session()
    try:
        disposal = request_disposal(session, rt.audit_mac, rt.profiles, current_user(), ask)
    except DisposalRefused as refused:
        # 409 with the reason and the documents (issue 6: "refused with the reason").
        return jsonify(refused.to_dict()), refused.http_status
    body = disposal_json(disposal)
    session.commit()
    return jsonify(body), 201, {"Location": body["links"]["self"]}


@bp.get("/disposals")
@require_roles(RECORDS_OFFICER, AUDITOR)
def list_disposals() -> dict[str, Any]:
    query = select(Disposal).order_by(Disposal.created_at.desc()).limit(PAGE_MAX)
    if state := request.args.get("state"):
        if state not in STATES:
            raise InvalidRequest(f"state must be one of: {', '.join(STATES)}")
        query = query.where(Disposal.state == state)
    return {"disposals": [disposal_json(d) for d in db_session().execute(query).scalars()]}


@bp.get("/disposals/<disposal_id>")
@require_roles(*VIEWERS)
def get_disposal(disposal_id: str) -> dict[str, Any]:
    return disposal_json(_load(disposal_id), with_erasures=True)


@bp.post("/disposals/<disposal_id>/witness")
@require_roles(*WITNESS_ROLES)
def witness(disposal_id: str) -> dict[str, Any]:
    _prepare_session()
    session = db_session()
    disposal = _load(disposal_id, lock=True)
    witness_disposal(session, runtime().audit_mac, disposal, current_user())
    body = disposal_json(disposal)
    session.commit()
    return body


@bp.post("/disposals/<disposal_id>/execute")
@require_roles(RECORDS_OFFICER)
def execute(disposal_id: str) -> tuple[dict[str, Any], int]:
    _prepare_session()
    session = db_session()
    disposal = _load(disposal_id, lock=True)
    queued = requeue_disposal(session, runtime().audit_mac, disposal, current_user())
    body = disposal_json(disposal)
    session.commit()
    return body, 202 if queued else 200


@bp.get("/disposals/<disposal_id>/records")
@require_roles(RECORDS_OFFICER, AUDITOR)
def get_records(disposal_id: str) -> Response:
    disposal = _load(disposal_id)
    alive = runtime().kek.versions()
    erasures = [e for e in erasures_of(db_session(), disposal.document_ids)
                if e.state == COMPLETED]
    fmt = request.args.get("format", "json")
    if fmt == "json":
        return jsonify({"disposal": disposal.id, "state": disposal.state,
                        "records": [erasure_json(e, alive=alive) for e in erasures]})
    if fmt != "bundle":
        raise InvalidRequest("format must be json or bundle")
    return Response(_bundle(disposal, erasures, alive), mimetype="application/zip",
                    headers={"Content-Disposition":
                             f'attachment; filename="disposal-{disposal.id}.zip"'})


def _bundle(disposal: Disposal, erasures: list[Erasure], alive: Any) -> bytes:
    """One ZIP: records/<erasure id>.json (each as GET /v1/erasures/{id}: ``sekisho verify``
    checks it), the signers' certificates and manifest.json with every file's SHA-256."""
    files: list[tuple[str, bytes]] = []
    for erasure in erasures:
        data = canonical_json(erasure_json(erasure, alive=alive))
        files.append((f"records/{erasure.id}.json", data))
    certificates = sorted({e.certificate_pem for e in erasures if e.certificate_pem})
    files.append(("certificate.pem", "".join(certificates).encode("ascii")))
    manifest = {"disposal": disposal.id, "profile": disposal.profile, "reason": disposal.reason,
                "state": disposal.state, "total": disposal.total, "records": len(erasures),
                "files": [{"name": name, "sha256": hashlib.sha256(data).hexdigest(),
                           "size": len(data)} for name, data in files],
                "documents": {e.id: e.document_id for e in erasures}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return buffer.getvalue()


OPENAPI_DOCS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/disposals"): {
        "summary": "Ask to dispose of documents (records staff): a list, a contract or a whole "
                   "tenant (profile), copies included (DSP-03), with a reason. Approval by a "
                   "different person (Chiba 6.2(10)ウ), a witness where the profile asks "
                   "(Ishikawa 立会い), then crypto-erase in batches with signed records.",
        "status": 201,
        "body": {"type": "object", "required": ["reason"], "properties": {
            "document_ids": {"type": "array", "items": {"type": "string"}},
            "contract": {"type": "string"}, "profile": {"type": "string"},
            "reason": {"type": "string", "enum": ["読後廃棄", "職務上不要", "契約終了"]},
            "note": {"type": "string"}}},
        "errors": {"400": "invalid_request (reason, scope)", "404": "unknown document ids",
                   "409": "disposal_refused (legal_hold / open_export / processing with the "
                          "document ids) or nothing_to_dispose"}},
    ("GET", "/v1/disposals"): {
        "summary": "Disposals, newest first.", "query": {"state": "filter by state"}},
    ("GET", "/v1/disposals/{disposal_id}"): {
        "summary": "A disposal: state, progress (total, erased, failed), approver, witness "
                   "and the erasure of each document with its link."},
    ("POST", "/v1/disposals/{disposal_id}/witness"): {
        "summary": "Witness a disposal (Ishikawa 立会い, DSP-12): neither the requester nor "
                   "the approver; then it is queued.",
        "errors": {"403": "separation_of_duties", "409": "disposal_state"}},
    ("POST", "/v1/disposals/{disposal_id}/execute"): {
        "summary": "(Re)queue an approved, running or failed disposal (idempotent; resumes "
                   "with the documents not yet erased).", "status": 202,
        "errors": {"409": "disposal_state (not approved yet)"}},
    ("GET", "/v1/disposals/{disposal_id}/records"): {
        "summary": "Every signed erasure record of the disposal (JSON), or format=bundle: one "
                   "ZIP with a JSON per record (`sekisho verify` checks each), the signer's "
                   "certificate and manifest.json with the SHA-256 of each file.",
        "query": {"format": "json | bundle"}},
}
