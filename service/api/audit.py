"""/v1/audit: read and verify the tamper-evident event log (auditors, security admins)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from sqlalchemy import select

from core.roles import AUDITOR, SECURITY_ADMIN
from service.audit import verify_chain
from service.auth import require_roles
from service.models import AuditEvent
from service.runtime import db_session, runtime
from service.serializers import event_json

bp = Blueprint("audit", __name__, url_prefix="/v1/audit")
PAGE_MAX = 500


@bp.get("/events")
@require_roles(AUDITOR, SECURITY_ADMIN)
def list_events() -> dict[str, Any]:
    after = request.args.get("after", 0, type=int) or 0
    limit = min(max(request.args.get("limit", 100, type=int) or 100, 1), PAGE_MAX)
    query = select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(limit)
    if object_id := request.args.get("object_id"):
        query = query.where(AuditEvent.object_id == object_id)
    events = db_session().execute(query).scalars().all()
    return {"events": [event_json(e) for e in events],
            "next_after": events[-1].seq if events else None}


@bp.get("/verify")
@require_roles(AUDITOR)
def verify() -> dict[str, Any]:
    return verify_chain(db_session(), runtime().audit_mac).to_dict()
