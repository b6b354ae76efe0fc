"""/v1/approvals and /v1/exceptions: every approver's inbox and the decisions on requests of
any kind (classification, export, exception, disposal), through service.approvals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, request
from sqlalchemy import select

from core.errors import InvalidRequest, NotFound
from core.roles import APPROVER, AUDITOR, RECORDS_OFFICER, SECURITY_ADMIN, SUBMITTERS, UPLOADER
from service.api.classification import enqueue_after_commit, relabel_if_finished
from service.api.documents import load_visible_document
from service.approvals import (
    KIND_CLASSIFICATION,
    KINDS,
    PENDING,
    STATES,
    decide_approval,
    expire_overdue,
    may_decide,
    parse_exception,
    request_exception,
)
from service.auth import current_user, has_any_role, require_roles
from service.classification import decision_for
from service.models import Approval, Document, User
from service.runtime import db_session, runtime
from service.serializers import approval_json, decision_json, labels_json

bp = Blueprint("approvals", __name__, url_prefix="/v1")
# Who sees every request (approvers decide; security admins and auditors oversee, SOD-03).
APPROVAL_VIEWERS = frozenset({APPROVER, SECURITY_ADMIN, AUDITOR})
# Who may read back their own requests here (tests/service/test_roles.py fixes this set;
# records officers follow their disposal requests through /v1/disposals).
REQUESTERS = SUBMITTERS
EXCEPTION_REQUESTERS = frozenset({UPLOADER, APPROVER, RECORDS_OFFICER, SECURITY_ADMIN})
PAGE_MAX = 200


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def inbox_json(approval: Approval, user: User) -> dict[str, Any]:
    """approval_json plus what issue 6 adds, and whether the caller may decide it."""
    return {**approval_json(approval), "expires_at": _iso(approval.expires_at),
            "escalated": approval.escalated, "valid_until": _iso(approval.valid_until),
            "decidable": may_decide(approval, user)}


def _expire_overdue_now() -> None:
    # Expiry is lazy (no scheduler needed): whoever looks at requests settles the overdue
    # ones first, committed on its own so a refused decision still leaves them expired.
    session = db_session()
    if expire_overdue(session, runtime().audit_mac):
        session.commit()


def _visible_approval(approval_id: str) -> Approval:
    user = current_user()
    approval = db_session().get(Approval, approval_id)
    if approval is None or not (has_any_role(user, APPROVAL_VIEWERS)
                                or approval.requested_by_id == user.id):
        raise NotFound(f"no approval request {approval_id}")
    return approval


def _list_filters() -> tuple[str, str | None, bool]:
    state = request.args.get("state", PENDING)
    if state != "all" and state not in STATES:
        raise InvalidRequest(f"state must be one of: all, {', '.join(sorted(STATES))}")
    kind = request.args.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise InvalidRequest(f"kind must be one of: {', '.join(sorted(KINDS))}")
    mine = request.args.get("mine", "").lower() in ("1", "true", "yes")
    return state, kind, mine


@bp.get("/approvals")
@require_roles(*REQUESTERS, *APPROVAL_VIEWERS)
def list_approvals() -> dict[str, Any]:
    user = current_user()
    state, kind, mine = _list_filters()
    _expire_overdue_now()
    query = select(Approval).order_by(Approval.created_at).limit(PAGE_MAX)
    if state != "all":
        query = query.where(Approval.state == state)
    if kind is not None:
        query = query.where(Approval.kind == kind)
    if mine or not has_any_role(user, APPROVAL_VIEWERS):
        query = query.where(Approval.requested_by_id == user.id)
    elif state == PENDING:
        # The inbox never offers one's own request (兼務の禁止; an approver's own request is
        # escalated to another approver, Saitama 第2 1(6)イ, SOD-02). `mine=1` lists them.
        query = query.where(Approval.requested_by_id != user.id)
    approvals = db_session().execute(query).scalars().all()
    return {"approvals": [inbox_json(a, user) for a in approvals]}


@bp.get("/approvals/<approval_id>")
@require_roles(*REQUESTERS, *APPROVAL_VIEWERS)
def get_approval(approval_id: str) -> dict[str, Any]:
    _expire_overdue_now()
    return inbox_json(_visible_approval(approval_id), current_user())


def _reason_from_body() -> str | None:
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise InvalidRequest("reason must be a string")
    return reason


def _lock(approval_id: str) -> tuple[Approval, Document | None]:
    """Lock in the order proposals use (document, then approval) so two decisions, or a
    decision and a new proposal, serialise instead of deadlocking."""
    session = db_session()
    approval = _visible_approval(approval_id)
    doc = None
    if approval.kind == KIND_CLASSIFICATION:
        doc = session.get_one(Document, approval.object_id, with_for_update=True)
    locked = session.get_one(Approval, approval_id, with_for_update=True, populate_existing=True)
    return locked, doc


def _decide(approval_id: str, grant: bool) -> tuple[dict[str, Any], int]:
    reason = _reason_from_body()
    _expire_overdue_now()
    session = db_session()
    approval, doc = _lock(approval_id)
    user = current_user()
    decide_approval(session, runtime().audit_mac, approval, user, grant=grant, reason=reason)
    body: dict[str, Any] = {"approval": inbox_json(approval, user)}
    job_id = None
    if doc is not None:  # a classification: the file is relabelled with the decided label
        body["decision"] = decision_json(decision_for(session, approval))
        body["labels"] = labels_json(doc)
        job_id = relabel_if_finished(doc) if grant else None
    session.commit()
    enqueue_after_commit(job_id)
    return body, 200


@bp.post("/approvals/<approval_id>/approve")
@require_roles(APPROVER)
def approve(approval_id: str) -> tuple[dict[str, Any], int]:
    return _decide(approval_id, grant=True)


@bp.post("/approvals/<approval_id>/reject")
@require_roles(APPROVER)
def reject(approval_id: str) -> tuple[dict[str, Any], int]:
    return _decide(approval_id, grant=False)


@bp.post("/exceptions")
@require_roles(*EXCEPTION_REQUESTERS)
def create_exception() -> tuple[dict[str, Any], int]:
    """例外措置 (Saitama 第2 3(2); Chiba 11.4): an exception to one rule, for at most the
    profile's exception_max_days, in force only once a different approver grants it."""
    user = current_user()
    body = request.get_json(silent=True)
    rt = runtime()
    profile = rt.profile(user.profile)
    if isinstance(body, dict) and body.get("object_type") == "document" \
            and isinstance(body.get("object_id"), str):
        # An exception for one document is bounded by that document's profile.
        profile = rt.profile(load_visible_document(body["object_id"]).profile)
    parsed = parse_exception(body, profile)
    session = db_session()
    approval = request_exception(session, rt.audit_mac, user, profile, parsed)
    session.commit()
    return {"approval": inbox_json(approval, user)}, 201
