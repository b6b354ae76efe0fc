"""Proposals, approvals and decisions about a document's label (always audited).

The effective label is never below the floor without an approval, and the approver is never
the person who proposed (兼務の禁止, Saitama 第2 1(6); enforced here, on the server).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.classification import approval_reasons, check_proposal
from core.errors import Conflict, InvalidRequest
from core.labels import Label
from core.profiles import Profile
from service.approvals import (
    APPROVED,
    KIND_CLASSIFICATION,
    MAX_REASON_CHARS,
    PENDING,
    REJECTED,
    WITHDRAWN,
    decide_approval,
    register_decision_handler,
    request_approval,
)
from service.audit import Mac, append_event
from service.db import utcnow
from service.models import Approval, ClassificationDecision, Document, User

DECIDED, SUPERSEDED = "decided", "superseded"
SOURCE_SYSTEM, SOURCE_PROPOSAL, SOURCE_APPROVAL = "system", "proposal", "approval"
PERSON_SOURCES = frozenset({SOURCE_PROPOSAL, SOURCE_APPROVAL})


def parse_proposal(doc: Document, body: Any) -> tuple[Label, str]:
    if not isinstance(body, dict) or not isinstance(body.get("label"), dict):
        raise InvalidRequest('a JSON body {"label": {...}, "reason": "..."} is required')
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        # CLS-08: a classification is a decision someone takes and explains.
        raise InvalidRequest("a reason is required for a classification proposal",
                             code="reason_required")
    label = Label.from_dict({"profile": doc.profile, **body["label"]})
    return label, reason.strip()[:MAX_REASON_CHARS]


def _withdraw_pending(session: Session, doc: Document) -> None:
    pending = session.execute(
        select(ClassificationDecision).where(ClassificationDecision.document_id == doc.id,
                                             ClassificationDecision.state == PENDING)
    ).scalars().all()
    for decision in pending:
        decision.state = SUPERSEDED
        if decision.approval_id:
            approval = session.get_one(Approval, decision.approval_id)
            if approval.state == PENDING:
                approval.state = WITHDRAWN


def apply_label(doc: Document, label: Label, source: str, decided_by: User | None) -> None:
    doc.label = label.to_dict()
    doc.label_source = source
    doc.label_decided_by_id = decided_by.id if decided_by else None
    doc.label_decided_at = utcnow()


def propose(
    session: Session, mac: Mac, profile: Profile, doc: Document, user: User, label: Label,
    reason: str,
) -> tuple[ClassificationDecision, Approval | None]:
    if doc.floor is None:
        raise Conflict("the document has not been classified yet; try again when it is",
                       code="not_classified_yet")
    check_proposal(profile, label)
    floor = Label.from_dict(doc.floor)
    reasons = approval_reasons(profile, label, floor)
    _withdraw_pending(session, doc)
    decision = ClassificationDecision(
        document_id=doc.id, label=label.to_dict(), floor=doc.floor, source=SOURCE_PROPOSAL,
        reason=reason, proposed_by_id=user.id, state=PENDING if reasons else DECIDED)
    session.add(decision)
    approval = None
    if reasons:
        # One mechanism for every approval (issue 6): expiry, escalation (SOD-02), audit.
        approval = request_approval(
            session, mac, kind=KIND_CLASSIFICATION, object_type="document", object_id=doc.id,
            requester=user, reasons=[r.to_dict() for r in reasons],
            payload={"label": label.to_dict(), "reason": reason}, profile=profile)
        decision.approval_id = approval.id
    else:
        decision.decided_by_id, decision.decided_at = user.id, utcnow()
        apply_label(doc, label, SOURCE_PROPOSAL, user)
    session.flush()
    append_event(session, mac, actor=user.name, action="classification.proposed",
                 object_type="document", object_id=doc.id,
                 details={"label": label.to_dict(), "decision": decision.id,
                          "approval": approval.id if approval else None,
                          "approval_reasons": [r.code for r in reasons]})
    return decision, approval


def decide(
    session: Session, mac: Mac, approval: Approval, approver: User, *, grant: bool,
    reason: str | None,
) -> ClassificationDecision:
    """Decide a classification request through the one approval mechanism; returns the
    classification decision it settled."""
    decide_approval(session, mac, approval, approver, grant=grant, reason=reason)
    return decision_for(session, approval)


def decision_for(session: Session, approval: Approval) -> ClassificationDecision:
    return session.execute(
        select(ClassificationDecision).where(ClassificationDecision.approval_id == approval.id)
    ).scalar_one()


def _on_classification_decided(session: Session, approval: Approval, approver: User,
                               grant: bool) -> None:
    """The label follows the decision; the SoD and expiry checks and the audit event
    (approval.granted / approval.rejected) are service.approvals' (Saitama 第2 1(6))."""
    decision = decision_for(session, approval)
    decision.state = APPROVED if grant else REJECTED
    decision.decided_by_id, decision.decided_at = approver.id, approval.decided_at
    if grant:
        doc = session.get_one(Document, decision.document_id)
        apply_label(doc, Label.from_dict(decision.label), SOURCE_APPROVAL, approver)


register_decision_handler(KIND_CLASSIFICATION, _on_classification_decided)


def system_label(profile: Profile, floor: Label) -> Label:
    """What sekisho proposes before a person decides: the profile default, raised to the floor."""
    return profile.default_label.combine(floor)


def effective_label(profile: Profile, doc_label: dict[str, Any] | None, source: str | None,
                    floor: Label) -> Label:
    """A person's decision stands; a plain proposal never sits below a (re-computed) floor."""
    if doc_label and source == SOURCE_APPROVAL:
        return Label.from_dict(doc_label)
    if doc_label and source == SOURCE_PROPOSAL:
        return Label.from_dict(doc_label).combine(floor)
    return system_label(profile, floor)
