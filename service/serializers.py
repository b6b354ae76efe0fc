"""JSON shapes of the API's objects (one place, so the OpenAPI document can match them)."""

from __future__ import annotations

import json
from typing import Any

from core.labels import AXES, Label
from core.profiles import Profile
from service.models import AuditEvent, Document, Job, User
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
    if not doc.label:
        return None
    label = Label.from_dict(doc.label)
    return {"label": doc.label, "display": runtime().profile(doc.profile).display(label)}


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
