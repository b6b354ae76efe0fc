"""/v1/documents/{id}/classification and /v1/approvals: proposals, approvals, history."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, request
from sqlalchemy import select

from core.errors import Forbidden, InvalidRequest, NotFound
from core.roles import APPROVER, AUDITOR, REVIEWERS, SECURITY_ADMIN, SUBMITTERS
from core.states import JOB_FAILED, JOB_SUCCEEDED, STAGE_LABEL, STAGE_SANITISE, STAGES
from service.api.documents import latest_job, load_visible_document
from service.auth import current_user, has_any_role, require_roles
from service.classification import decide, parse_proposal, propose
from service.jobs import new_job
from service.models import Approval, ClassificationDecision, Document, User
from service.queue import enqueue
from service.runtime import db_session, runtime
from service.serializers import approval_json, decision_json, labels_json

log = logging.getLogger("sekisho.api")
bp = Blueprint("classification", __name__, url_prefix="/v1")
APPROVAL_VIEWERS = frozenset({APPROVER, SECURITY_ADMIN, AUDITOR})
PAGE_MAX = 200


def _relabel_if_finished(doc: Document) -> str | None:
    """Write a new decision into the file: a finished job gets a follow-up label-only job;
    an active one re-runs its label stage when it finishes (service.jobs._finish)."""
    job = latest_job(doc.id)
    if job is None or job.state not in (JOB_SUCCEEDED, JOB_FAILED):
        return None
    if STAGE_SANITISE not in (job.stages_done or []):
        return None  # nothing was sanitised, so there is no file to label
    follow_up = new_job(db_session(), doc.id, kind="relabel",
                        stages_done=[s for s in STAGES if s != STAGE_LABEL])
    return follow_up.id


def _enqueue_after_commit(job_id: str | None) -> None:
    if job_id is None:
        return
    try:
        enqueue(runtime().settings, job_id)
    except Exception:
        log.warning("could not reach the task broker; job %s stays queued", job_id)


@bp.post("/documents/<document_id>/classification")
@require_roles(*SUBMITTERS)
def propose_classification(document_id: str) -> tuple[dict[str, Any], int]:
    user = current_user()
    doc = load_visible_document(document_id)
    if doc.owner_id != user.id:
        raise Forbidden("only the person who submitted the document proposes its label")
    session = db_session()
    doc = session.get_one(Document, document_id, with_for_update=True)
    label, reason = parse_proposal(doc, request.get_json(silent=True))
    rt = runtime()
    decision, approval = propose(session, rt.audit_mac, rt.profile(doc.profile), doc, user,
                                 label, reason)
    job_id = None if approval else _relabel_if_finished(doc)
    session.commit()
    _enqueue_after_commit(job_id)
    return {"decision": decision_json(decision), "approval": approval_json(approval)
            if approval else None, "labels": labels_json(doc)}, 201


@bp.get("/documents/<document_id>/classification")
@require_roles(*SUBMITTERS, *REVIEWERS)
def classification_history(document_id: str) -> dict[str, Any]:
    doc = load_visible_document(document_id)
    decisions = db_session().execute(
        select(ClassificationDecision).where(ClassificationDecision.document_id == doc.id)
        .order_by(ClassificationDecision.id)
    ).scalars().all()
    return {"labels": labels_json(doc), "decisions": [decision_json(d) for d in decisions]}


def _visible_approval(approval_id: str) -> Approval:
    user = current_user()
    approval = db_session().get(Approval, approval_id)
    if approval is None or not (has_any_role(user, APPROVAL_VIEWERS)
                                or approval.requested_by_id == user.id):
        raise NotFound(f"no approval request {approval_id}")
    return approval


@bp.get("/approvals")
@require_roles(*SUBMITTERS, *APPROVAL_VIEWERS)
def list_approvals() -> dict[str, Any]:
    user = current_user()
    state = request.args.get("state", "pending")
    query = select(Approval).order_by(Approval.created_at).limit(PAGE_MAX)
    if state != "all":
        query = query.where(Approval.state == state)
    if not has_any_role(user, APPROVAL_VIEWERS):
        query = query.where(Approval.requested_by_id == user.id)
    approvals = db_session().execute(query).scalars().all()
    return {"approvals": [approval_json(a) for a in approvals]}


@bp.get("/approvals/<approval_id>")
@require_roles(*SUBMITTERS, *APPROVAL_VIEWERS)
def get_approval(approval_id: str) -> dict[str, Any]:
    return approval_json(_visible_approval(approval_id))


def _decide(approval_id: str, grant: bool) -> tuple[dict[str, Any], int]:
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise InvalidRequest("reason must be a string")
    session = db_session()
    approval = _visible_approval(approval_id)
    doc = session.get_one(Document, approval.object_id, with_for_update=True)
    approver: User = current_user()
    decision = decide(session, runtime().audit_mac, approval, approver, grant=grant,
                      reason=reason)
    job_id = _relabel_if_finished(doc) if grant else None
    session.commit()
    _enqueue_after_commit(job_id)
    return {"approval": approval_json(approval), "decision": decision_json(decision),
            "labels": labels_json(doc)}, 200


@bp.post("/approvals/<approval_id>/approve")
@require_roles(APPROVER)
def approve(approval_id: str) -> tuple[dict[str, Any], int]:
    return _decide(approval_id, grant=True)


@bp.post("/approvals/<approval_id>/reject")
@require_roles(APPROVER)
def reject(approval_id: str) -> tuple[dict[str, Any], int]:
    return _decide(approval_id, grant=False)
