"""/v1/documents/{id}/classification: proposals and history (their approvals are decided
through /v1/approvals, service/api/approvals.py)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, request
from sqlalchemy import select

from core.errors import Forbidden
from core.roles import REVIEWERS, SUBMITTERS
from core.states import JOB_FAILED, JOB_SUCCEEDED, STAGE_LABEL, STAGE_SANITISE, STAGES
from service.api.documents import latest_job, load_visible_document
from service.auth import current_user, require_roles
from service.classification import parse_proposal, propose
from service.jobs import new_job
from service.models import ClassificationDecision, Document
from service.queue import enqueue
from service.runtime import db_session, runtime
from service.serializers import approval_json, decision_json, labels_json

log = logging.getLogger("sekisho.api")
bp = Blueprint("classification", __name__, url_prefix="/v1")


def relabel_if_finished(doc: Document) -> str | None:
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


def enqueue_after_commit(job_id: str | None) -> None:
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
    job_id = None if approval else relabel_if_finished(doc)
    session.commit()
    enqueue_after_commit(job_id)
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
