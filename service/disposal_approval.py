"""The approval and witness steps of a disposal (service.disposals): approval through
service.approvals (kind "disposal": the requester never approves, SOD-01), a third person as
witness where the profile asks (Ishikawa 立会い, DSP-12), and (re)queueing once approved."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.errors import Conflict, Forbidden, SeparationOfDutiesViolation
from service.approvals import KIND_DISPOSAL, register_decision_handler, register_expiry_handler
from service.audit import Mac, append_event
from service.db import utcnow
from service.disposal_queue import enqueue_after_commit, mac_of
from service.disposal_states import (
    APPROVED,
    AWAITING_APPROVAL,
    AWAITING_WITNESS,
    DONE,
    EXPIRED,
    FAILED,
    OBJECT_TYPE,
    REJECTED,
    RUNNING,
    SYSTEM_ACTOR,
    WITNESS_ROLES,
    after_approval,
)
from service.models import Approval, Disposal, User


def _on_disposal_decided(session: Session, approval: Approval, approver: User,
                         grant: bool) -> None:
    """service.approvals handler (same transaction): SoD is already checked there."""
    disposal = session.get(Disposal, approval.object_id, with_for_update=True)
    if disposal is None or disposal.state != AWAITING_APPROVAL:
        return
    disposal.state = after_approval(disposal.witness_required) if grant else REJECTED
    append_event(session, mac_of(session), actor=approver.name,
                 action="disposal.approved" if grant else "disposal.rejected",
                 object_type=OBJECT_TYPE, object_id=disposal.id,
                 details={"approval": approval.id, "state": disposal.state})
    if disposal.state == APPROVED:
        enqueue_after_commit(session, disposal.id)


def _on_disposal_approval_expired(session: Session, mac: Mac, approval: Approval) -> None:
    """A disposal whose approval expired undecided ends; records staff ask again."""
    disposal = session.get(Disposal, approval.object_id, with_for_update=True)
    if disposal is None or disposal.state != AWAITING_APPROVAL:
        return
    disposal.state = EXPIRED
    append_event(session, mac, actor=SYSTEM_ACTOR, action="disposal.expired",
                 object_type=OBJECT_TYPE, object_id=disposal.id,
                 details={"approval": approval.id})


register_decision_handler(KIND_DISPOSAL, _on_disposal_decided)
register_expiry_handler(KIND_DISPOSAL, _on_disposal_approval_expired)


def approver_of(session: Session, disposal: Disposal) -> User | None:
    if disposal.approval_id is None:
        return None
    approval = session.get(Approval, disposal.approval_id)
    return approval.decided_by if approval is not None and approval.state == "approved" else None


def witness_disposal(session: Session, mac: Mac, disposal: Disposal, witness: User) -> None:
    """Ishikawa 立会い (DSP-12): a third person co-signs before anything is erased."""
    if not witness.role_names & WITNESS_ROLES:
        raise Forbidden(f"a witness needs one of the roles: {', '.join(sorted(WITNESS_ROLES))}")
    if disposal.state != AWAITING_WITNESS:
        raise Conflict(f"this disposal is {disposal.state}, not awaiting a witness",
                       code="disposal_state")
    approver = approver_of(session, disposal)
    if witness.id == disposal.requested_by_id or (approver and witness.id == approver.id):
        # 兼務の禁止 (Saitama 第2 1(6), SOD-01): the witness is a third person.
        raise SeparationOfDutiesViolation(
            "the witness must be neither the requester nor the approver of the disposal")
    disposal.witness_id, disposal.witnessed_at = witness.id, utcnow()
    disposal.state = APPROVED
    append_event(session, mac, actor=witness.name, action="disposal.witnessed",
                 object_type=OBJECT_TYPE, object_id=disposal.id, details={"state": APPROVED})
    enqueue_after_commit(session, disposal.id)


def requeue_disposal(session: Session, mac: Mac, disposal: Disposal, actor: User) -> bool:
    """POST /execute: (re)queue an approved, running or failed disposal; False when done."""
    if disposal.state == DONE:
        return False
    if disposal.state not in (APPROVED, RUNNING, FAILED):
        raise Conflict(f"this disposal is {disposal.state}; it runs once approved"
                       + (" and witnessed" if disposal.witness_required else ""),
                       code="disposal_state")
    previous = disposal.state
    if previous == FAILED:
        disposal.state = APPROVED  # a retry: claim() takes approved and running ones
    append_event(session, mac, actor=actor.name, action="disposal.queued",
                 object_type=OBJECT_TYPE, object_id=disposal.id, details={"from": previous})
    enqueue_after_commit(session, disposal.id)
    return True
