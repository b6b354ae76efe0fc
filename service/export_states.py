"""The states of an export (service.exports) and how a step lands in the exchange record
(Ishikawa 第12(6)) and the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.audit import append_event
from service.exchange import record_of_export, update_exchange
from service.models import Export
from service.runtime import Runtime

DENIED, AWAITING, REJECTED = "denied", "awaiting_approval", "rejected"
APPROVED = "approved"  # every approval granted; the requester makes the package
EXPIRED = "expired"  # an approval it waited for expired undecided
READY, DELIVERED, CONFIRMED, ERASED = "ready", "delivered", "confirmed", "erased"
DOWNLOADABLE = frozenset({READY, DELIVERED})
READ_ONCE_REASON = "読後廃棄"


def partner_of(export: Export) -> dict[str, Any]:
    partner = {k: v for k, v in export.recipient.items() if k != "certificate_pem"}
    partner["has_certificate"] = bool(export.recipient.get("certificate_pem"))
    return partner


def audit_export(session: Session, rt: Runtime, actor: str, action: str, export: Export,
           **details: Any) -> None:
    append_event(session, rt.audit_mac, actor=actor, action=action, object_type="export",
                 object_id=export.id, details={"state": export.state, **details})


def set_export_state(session: Session, export: Export, state: str, **delivery: Any) -> None:
    export.state = state
    record = record_of_export(session, export.id)
    if record is not None:
        update_exchange(record, outcome=state, delivery=delivery or None)
        record.reasons = export.decision.get("reasons", record.reasons)
