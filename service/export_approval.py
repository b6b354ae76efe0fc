"""The approvals of an export (service.exports): each decision re-decides with the granted
rules, an expired approval ends the export, and the requester makes the package of an
approved one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound
from service import approvals
from service.audit import Mac, append_event
from service.exchange import record_of_export, update_exchange
from service.export_request import advance_export, ask_approvals, decide, load_documents
from service.export_states import (
    APPROVED,
    AWAITING,
    DENIED,
    EXPIRED,
    REJECTED,
    audit_export,
    set_export_state,
)
from service.models import Approval, Document, Export, User
from service.runtime import Runtime


def _approver_names(session: Session, export: Export) -> list[str]:
    ids = [a.decided_by_id for a in session.execute(
        select(Approval).where(Approval.object_type == "export", Approval.object_id == export.id,
                               Approval.state == approvals.APPROVED)).scalars()]
    return sorted(u.name for u in session.execute(
        select(User).where(User.id.in_([i for i in ids if i is not None]))).scalars())


def on_export_decided(session: Session, approval: Approval, approver: User,
                      grant: bool) -> None:
    """Approval handler: re-decide with the granted rules; when nothing is left the export
    is approved and waits for its requester to make the package."""
    from service.runtime import runtime  # the handler runs inside a request

    rt = runtime()
    export = session.get(Export, approval.object_id, with_for_update=True)
    if export is None or export.state != AWAITING:
        return
    record = record_of_export(session, export.id)
    if record is not None:
        update_exchange(record, approvers=_approver_names(session, export))
    if not grant:
        set_export_state(session, export, REJECTED)
        audit_export(session, rt, approver.name, "export.rejected", export, approval=approval.id)
        return
    requester = session.get_one(User, export.requested_by_id)
    docs = list(session.execute(select(Document).where(
        Document.id.in_(export.document_ids))).scalars())
    docs.sort(key=lambda d: export.document_ids.index(d.id))
    granted = approvals.granted_rules(session, "export", export.id)
    decision = decide(rt, export, docs, requester, granted)
    export.decision = decision.to_dict()
    if decision.denied:
        set_export_state(session, export, DENIED)
    elif decision.pending_approvals:
        ask_approvals(rt, session, export, decision, requester)
    else:
        # Not packaged here: a generated password must reach the REQUESTER once, never the
        # approver, so the requester makes the package (POST /v1/exports/{id}/package).
        set_export_state(session, export, APPROVED)
    audit_export(session, rt, approver.name, "export.redecided", export, approval=approval.id,
           decision=decision.decision, granted=sorted(granted))


def package_approved(rt: Runtime, session: Session, export: Export,
                     user: User) -> str | None:
    """The requester makes the package of an approved export; re-decided first (a document
    may have been relabelled, or an approval may have expired since). Returns the password
    made, to be shown once."""
    if export.requested_by_id != user.id:
        raise NotFound(f"no export {export.id}")
    if export.state != APPROVED:
        raise Conflict(f"the export is {export.state}, not approved", code="export_not_approved")
    docs = load_documents(session, user, export.document_ids)
    granted = approvals.granted_rules(session, "export", export.id)
    decision = decide(rt, export, docs, user, granted)
    password = advance_export(rt, session, export, docs, decision, user)
    audit_export(session, rt, user.name, "export.package_requested", export,
           decision=decision.decision)
    return password


def on_export_approval_expired(session: Session, mac: Mac, approval: Approval) -> None:
    """An export waiting for an approval that expired ends: the requester asks again."""
    export = session.get(Export, approval.object_id, with_for_update=True)
    if export is None or export.state != AWAITING:
        return
    set_export_state(session, export, EXPIRED)
    append_event(session, mac, actor="system", action="export.expired",
                 object_type="export", object_id=export.id, details={"approval": approval.id})


approvals.register_decision_handler(approvals.KIND_EXPORT, on_export_decided)
approvals.register_expiry_handler(approvals.KIND_EXPORT, on_export_approval_expired)
