"""JSON shapes of the API's objects (one place, so the OpenAPI document can match them)."""

from __future__ import annotations

import json
from typing import Any

from core.labels import AXES, Label
from core.profiles import Profile
from service.models import Approval, AuditEvent, ClassificationDecision, Document, Job, User
from service.runtime import runtime


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def job_json(job: Job | None) -> dict[str, Any] | None:
    if job is None:
        return None
    error = {"code": job.error_code, "message": job.error_message} if job.error_code else None
    return {"id": job.id, "state": job.state, "stage": job.stage,
            "stages_done": job.stages_done, "progress": job.progress,
            "attempts": job.attempts, "error": error,
            "created_at": _iso(job.created_at), "finished_at": _iso(job.finished_at)}


def event_json(event: AuditEvent) -> dict[str, Any]:
    return {"seq": event.seq, "ts": event.ts, "actor": event.actor, "action": event.action,
            "object_type": event.object_type, "object_id": event.object_id,
            "details": json.loads(event.details), "hash": event.hash}


def labels_json(doc: Document) -> dict[str, Any] | None:
    if not doc.label and not doc.floor:
        return None
    profile = runtime().profile(doc.profile)
    body: dict[str, Any] = {"label": doc.label, "display": None, "source": doc.label_source,
                            "decided_by": _user_name(doc.label_decided_by_id),
                            "decided_at": _iso(doc.label_decided_at), "floor": doc.floor}
    if doc.label:
        body["display"] = profile.display(Label.from_dict(doc.label))
    return body


def _user_name(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    from service.runtime import db_session

    user = db_session().get(User, user_id)
    return user.name if user else None


def approval_json(approval: Approval) -> dict[str, Any]:
    return {"id": approval.id, "kind": approval.kind, "object_type": approval.object_type,
            "object_id": approval.object_id, "state": approval.state,
            "requested_by": approval.requested_by.name, "payload": approval.payload,
            "reasons": approval.reasons,
            "decided_by": approval.decided_by.name if approval.decided_by else None,
            "decision_reason": approval.decision_reason,
            "created_at": _iso(approval.created_at), "decided_at": _iso(approval.decided_at)}


def decision_json(decision: ClassificationDecision) -> dict[str, Any]:
    return {"id": decision.id, "label": decision.label, "floor": decision.floor,
            "source": decision.source, "reason": decision.reason, "state": decision.state,
            "proposed_by": decision.proposed_by.name if decision.proposed_by else None,
            "decided_by": decision.decided_by.name if decision.decided_by else None,
            "approval_id": decision.approval_id, "created_at": _iso(decision.created_at),
            "decided_at": _iso(decision.decided_at)}


def document_json(
    doc: Document, job: Job | None, history: list[AuditEvent] | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": doc.id,
        "filename": doc.filename,
        "size": doc.size,
        "sha256": doc.sha256,
        "declared_type": doc.declared_type,
        "content_type": doc.detected_type,
        "sanitised_type": doc.sanitised_type,
        "direction": doc.direction,
        "profile": doc.profile,
        "state": doc.state,
        "labels": labels_json(doc),
        "findings": doc.findings or [],
        "report": doc.report or {},
        "error": {"code": doc.error_code, "message": doc.error_message}
        if doc.error_code else None,
        "job": job_json(job),
        "created_at": _iso(doc.created_at),
        "updated_at": _iso(doc.updated_at),
    }
    if history is not None:
        body["history"] = [
            {"seq": e.seq, "ts": e.ts, "actor": e.actor, "action": e.action} for e in history
        ]
    return body


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "roles": sorted(user.role_names),
            "profile": user.profile, "disabled": user.disabled,
            "created_at": _iso(user.created_at)}


def profile_json(profile: Profile) -> dict[str, Any]:
    return {
        "id": profile.id,
        "title": profile.title,
        "levels": {axis.value: {code: profile.level_name(axis, code)
                                for code in axis.levels.codes()} for axis in AXES},
        "restrictions": {code: profile.restriction_name(code)
                         for code in profile.restriction_codes},
        "default_label": profile.default_label.to_dict(),
        "ceiling": profile.ceiling.to_dict(),
    }
