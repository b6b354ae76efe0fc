"""/v1/mail/quarantine: quarantined inbound mail and its release (issue 7, item 4;
service.mail.quarantine).

Records staff, security admins, auditors and approvers list the items (envelope and reason,
never content). A records officer, security admin or approver asks for a release; another
approver grants it through /v1/approvals (兼務の禁止, SOD-01); then the requester alone reads
the original, each read audited. Malware is never released (409 malware_quarantined).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, request, url_for

from core.roles import APPROVER, AUDITOR, RECORDS_OFFICER, SECURITY_ADMIN
from service.auth import current_user, require_roles
from service.mail.quarantine import (
    RELEASE_ROLES,
    list_items,
    load_item,
    parse_release,
    read_original,
    releases_of,
    request_release,
    status_of,
)
from service.models import Approval, Document
from service.runtime import db_session, runtime

bp = Blueprint("mail_quarantine", __name__, url_prefix="/v1/mail")
VIEWERS = frozenset({RECORDS_OFFICER, SECURITY_ADMIN, AUDITOR, APPROVER})
PAGE_MAX = 200


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def _release_json(approval: Approval) -> dict[str, Any]:
    return {"approval": approval.id, "state": approval.state,
            "requested_by": approval.requested_by.name,
            "decided_by": approval.decided_by.name if approval.decided_by else None,
            "requested_at": _iso(approval.created_at), "decided_at": _iso(approval.decided_at),
            "href": url_for("approvals.get_approval", approval_id=approval.id)}


def item_json(doc: Document) -> dict[str, Any]:
    releases = releases_of(db_session(), doc)
    quarantine = doc.report.get("quarantine") or {}
    return {"id": doc.id, "status": status_of(releases), "reason": quarantine.get("reason"),
            "detail": quarantine.get("detail"), "mail_from": quarantine.get("mail_from"),
            "rcpt_to": quarantine.get("rcpt_to") or [],
            "client_address": quarantine.get("client_address"),
            "record_id": quarantine.get("record_id"), "profile": doc.profile,
            "size": doc.size, "sha256": doc.sha256, "quarantined_at": _iso(doc.created_at),
            "releases": [_release_json(a) for a in releases],
            "links": {"self": url_for("mail_quarantine.get_item", item_id=doc.id),
                      "original": url_for("mail_quarantine.get_original", item_id=doc.id)}}


@bp.get("/quarantine")
@require_roles(*VIEWERS)
def list_quarantine() -> dict[str, Any]:
    return {"items": [item_json(d) for d in list_items(db_session(), PAGE_MAX)]}


@bp.get("/quarantine/<item_id>")
@require_roles(*VIEWERS)
def get_item(item_id: str) -> dict[str, Any]:
    return item_json(load_item(db_session(), item_id))


@bp.post("/quarantine/<item_id>/release")
@require_roles(*RELEASE_ROLES)
def release(item_id: str) -> tuple[dict[str, Any], int]:
    rt, session = runtime(), db_session()
    reason = parse_release(request.get_json(silent=True))
    doc = load_item(session, item_id, lock=True)
    approval = request_release(session, rt.audit_mac, doc, current_user(),
                               rt.profile(doc.profile), reason)
    body = {"approval": _release_json(approval), "item": item_json(doc)}
    session.commit()
    return body, 202


@bp.get("/quarantine/<item_id>/original")
@require_roles(*RELEASE_ROLES)
def get_original(item_id: str) -> Response:
    rt, session = runtime(), db_session()
    doc = load_item(session, item_id)
    data = read_original(session, rt.audit_mac, rt.blobs, doc, current_user())
    session.commit()  # the read is audited before a byte leaves
    return Response(data, mimetype="message/rfc822",
                    headers={"Content-Disposition": 'attachment; filename="message.eml"',
                             "Cache-Control": "no-store"})


OPENAPI_DOCS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/v1/mail/quarantine"): {
        "summary": "Quarantined inbound mail (issue 7 item 4), newest first: the envelope, "
                   "the reason (malware_detected or the sanitiser's refusal code), the exchange "
                   "record and the release requests; never the content. Records officers, "
                   "security admins, auditors and approvers."},
    ("GET", "/v1/mail/quarantine/{item_id}"): {
        "summary": "One quarantined message (status quarantined | release_requested | "
                   "released)."},
    ("POST", "/v1/mail/quarantine/{item_id}/release"): {
        "summary": "Ask for the release of a quarantined original (records officer, security "
                   "admin or approver). Opens an approval of kind mail_release that only "
                   "ANOTHER approver can grant through /v1/approvals/{id}/approve (兼務の禁止: "
                   "the requester gets 403 separation_of_duties). Asking again returns the "
                   "open request.",
        "status": 202,
        "body": {"type": "object", "required": ["reason"],
                 "properties": {"reason": {"type": "string"}}},
        "errors": {"400": "reason_required", "404": "not_found",
                   "409": "malware_quarantined (malware is never released)"}},
    ("GET", "/v1/mail/quarantine/{item_id}/original"): {
        "summary": "The original message (message/rfc822) for the requester of a granted "
                   "release only; every read is an audit event (mail.original_read).",
        "errors": {"403": "release_not_granted", "409": "malware_quarantined"}},
}
