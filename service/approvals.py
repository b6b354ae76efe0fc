"""The one approval mechanism of sekisho: classification approvals, export approvals,
exceptions (例外措置) and disposals (issue 6, item 3).

Invariants enforced here, on the server, for every kind:
- the requester never decides their own request (兼務の禁止, Saitama 第2 1(6); SOD-01);
- a requester who holds the approver role is escalated: the request goes to ANOTHER approver
  and is never decidable from the requester's own inbox (Saitama 第2 1(6)イ; SOD-02);
- requests expire after the profile's ``handling.approval_ttl_hours``;
- every state change is an audit event (approval.requested / granted / rejected / expired).

What a decision *does* is the business of the kind's handler (``register_decision_handler``):
service.classification applies the label, exports and disposals register their own at import.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.errors import Conflict, Forbidden, InvalidRequest, SeparationOfDutiesViolation
from core.handling import rule_ids
from core.profiles import Profile
from core.roles import APPROVER
from service.audit import Mac, append_event
from service.db import utcnow
from service.models import Approval, User

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
WITHDRAWN, EXPIRED = "withdrawn", "expired"
STATES = frozenset({PENDING, APPROVED, REJECTED, WITHDRAWN, EXPIRED})
GRANTED = APPROVED  # the stored state of a granted request (kept from issue 3)

KIND_CLASSIFICATION, KIND_EXPORT = "classification", "export"
KIND_EXCEPTION, KIND_DISPOSAL = "exception", "disposal"
KIND_MAIL_RELEASE = "mail_release"  # releasing a quarantined message (issue 7, item 4)
KINDS = frozenset({KIND_CLASSIFICATION, KIND_EXPORT, KIND_EXCEPTION, KIND_DISPOSAL,
                   KIND_MAIL_RELEASE})
MAX_REASON_CHARS = 2000

# Who may decide each kind. Every kind needs an approver today (Saitama 第2 1(6): the approval
# is a 上職者's act); a kind missing here needs the approver role too.
DECIDER_ROLES: dict[str, frozenset[str]] = {kind: frozenset({APPROVER}) for kind in KINDS}

DecisionHandler = Callable[[Session, Approval, User, bool], Any]
_HANDLERS: dict[str, DecisionHandler] = {}


def register_decision_handler(kind: str, handler: DecisionHandler) -> None:
    """Run ``handler(session, approval, approver, grant)`` after a request of ``kind`` is
    decided (inside the same transaction, after the audit event). Re-registering replaces
    the handler, so a module imported twice (tests) stays harmless."""
    _HANDLERS[kind] = handler


ExpiryHandler = Callable[[Session, Mac, Approval], None]
_EXPIRY_HANDLERS: dict[str, ExpiryHandler] = {}


def register_expiry_handler(kind: str, handler: ExpiryHandler) -> None:
    """Run ``handler(session, mac, approval)`` when a request of ``kind`` expires undecided, so
    that what waited on it (an export, a disposal) ends too instead of waiting forever."""
    _EXPIRY_HANDLERS[kind] = handler


def decision_handler(kind: str) -> DecisionHandler | None:
    return _HANDLERS.get(kind)


def is_escalated(requester: User) -> bool:
    """SOD-02: an approver asking for something cannot be their own approver."""
    return APPROVER in requester.role_names


def request_approval(
    session: Session, mac: Mac, *, kind: str, object_type: str, object_id: str,
    requester: User, reasons: list[dict[str, Any]], payload: dict[str, Any], profile: Profile,
    ttl_hours: int | None = None,
) -> Approval:
    """Open a pending request; commit it with the caller's state change."""
    hours = ttl_hours if ttl_hours is not None else profile.document.handling.approval_ttl_hours
    now = utcnow()
    expires_at = now + timedelta(hours=hours)
    approval = Approval(
        id=str(uuid.uuid4()), kind=kind, object_type=object_type, object_id=object_id,
        requested_by_id=requester.id, state=PENDING, payload=payload, reasons=reasons,
        created_at=now, expires_at=expires_at,
        escalated=is_escalated(requester))
    session.add(approval)
    session.flush()
    append_event(session, mac, actor=requester.name, action="approval.requested",
                 object_type=object_type, object_id=object_id,
                 details={"approval": approval.id, "kind": kind, "profile": profile.id,
                          "escalated": approval.escalated,
                          "expires_at": expires_at.isoformat() + "Z",
                          "reasons": [r.get("rule") or r.get("code") for r in reasons]})
    return approval


def may_decide(approval: Approval, user: User, now: datetime | None = None) -> bool:
    """Whether ``approval`` belongs in ``user``'s inbox as something they can decide."""
    return (approval.state == PENDING and user.id != approval.requested_by_id
            and bool(user.role_names & DECIDER_ROLES.get(approval.kind, {APPROVER}))
            and not _is_overdue(approval, now or utcnow()))


def _is_overdue(approval: Approval, now: datetime) -> bool:
    return approval.expires_at is not None and now > approval.expires_at


def _expire(session: Session, mac: Mac, approval: Approval, now: datetime) -> None:
    approval.state = EXPIRED
    approval.decided_at = now
    append_event(session, mac, actor="system", action="approval.expired",
                 object_type=approval.object_type, object_id=approval.object_id,
                 details={"approval": approval.id, "kind": approval.kind,
                          "requested_by": approval.requested_by_id,
                          "expires_at": approval.expires_at.isoformat() + "Z"
                          if approval.expires_at else None})
    if (handler := _EXPIRY_HANDLERS.get(approval.kind)) is not None:
        handler(session, mac, approval)


def expire_overdue(session: Session, mac: Mac, now: datetime | None = None) -> int:
    """Mark pending requests past their expiry as expired (audited); returns how many.
    Called lazily by the list and decide endpoints; the caller commits."""
    now = now or utcnow()
    overdue = session.execute(
        select(Approval).where(Approval.state == PENDING, Approval.expires_at.is_not(None),
                               Approval.expires_at < now)
    ).scalars().all()
    for approval in overdue:
        _expire(session, mac, approval, now)
    return len(overdue)


def _check_decider(approval: Approval, approver: User) -> None:
    if approver.id == approval.requested_by_id:
        # SOD-01/02: never the requester, whatever roles they hold (escalated or not).
        raise SeparationOfDutiesViolation(
            "the person who made a request cannot decide it (兼務の禁止, Saitama 第2 1(6))")
    needed = DECIDER_ROLES.get(approval.kind, frozenset({APPROVER}))
    if not approver.role_names & needed:
        raise Forbidden(f"deciding a {approval.kind} request needs one of the roles: "
                        f"{', '.join(sorted(needed))}")


def _check_open(session: Session, mac: Mac, approval: Approval, now: datetime) -> None:
    if approval.state == EXPIRED:
        raise Conflict("this approval request has expired; ask again",
                       code="approval_expired")
    if approval.state != PENDING:
        raise Conflict(f"this approval request is already {approval.state}")
    if _is_overdue(approval, now):
        _expire(session, mac, approval, now)
        raise Conflict("this approval request has expired; ask again",
                       code="approval_expired")


def decide_approval(
    session: Session, mac: Mac, approval: Approval, approver: User, *, grant: bool,
    reason: str | None,
) -> Approval:
    """Grant or reject ``approval`` as ``approver`` and run the kind's handler.

    A request found overdue is marked expired before Conflict ``approval_expired`` is raised;
    callers who want that mark kept call ``expire_overdue`` and commit first (the API does).
    """
    _check_decider(approval, approver)
    now = utcnow()
    _check_open(session, mac, approval, now)
    approval.state = APPROVED if grant else REJECTED
    approval.decided_by_id, approval.decided_at = approver.id, now
    approval.decision_reason = (reason or "").strip()[:MAX_REASON_CHARS] or None
    details: dict[str, Any] = {"approval": approval.id, "kind": approval.kind,
                               "requested_by": approval.requested_by_id,
                               "escalated": approval.escalated,
                               "reason": approval.decision_reason}
    for key in ("label", "rule"):
        if key in approval.payload:
            details[key] = approval.payload[key]
    append_event(session, mac, actor=approver.name,
                 action="approval.granted" if grant else "approval.rejected",
                 object_type=approval.object_type, object_id=approval.object_id,
                 details=details)
    handler = _HANDLERS.get(approval.kind)
    if handler is not None:
        handler(session, approval, approver, grant)
    session.flush()
    return approval


def _in_force(now: datetime) -> Any:
    return or_(Approval.valid_until.is_(None), Approval.valid_until > now)


def granted_rules(session: Session, object_type: str, object_id: str) -> frozenset[str]:
    """Rule ids (``payload["rule"]``) whose approval for this object was granted and is still
    in force (an exception's ``valid_until`` not passed): ExportContext.granted."""
    now = utcnow()
    approvals = session.execute(
        select(Approval).where(Approval.object_type == object_type,
                               Approval.object_id == object_id, Approval.state == APPROVED,
                               _in_force(now))
    ).scalars().all()
    return frozenset(str(a.payload["rule"]) for a in approvals
                     if isinstance(a.payload, dict) and a.payload.get("rule"))


# --- exceptions (例外措置: Saitama 第2 3(2); Chiba 11.4) -------------------------------------

RULE_OBJECT_TYPE = "rule"  # an exception not bound to one object names the rule itself
MAX_RULE_CHARS = 64


def parse_exception(body: Any, profile: Profile) -> dict[str, Any]:
    """Validate a POST /v1/exceptions body; returns rule, reason, valid_days, object_type,
    object_id. valid_days above the profile's maximum is refused (Saitama 第2 3(2): one
    year)."""
    if not isinstance(body, dict):
        raise InvalidRequest('a JSON body {"rule", "reason", "valid_days"} is required')
    rule, reason, days = body.get("rule"), body.get("reason"), body.get("valid_days")
    if not isinstance(rule, str) or not rule.strip() or len(rule.strip()) > MAX_RULE_CHARS:
        raise InvalidRequest(f"rule must be a rule id of at most {MAX_RULE_CHARS} characters")
    if rule.strip() not in rule_ids(profile):
        # An exception to a rule the profile does not have would be recorded, granted and
        # never apply: refused at once, naming the rules there are.
        raise InvalidRequest(f"profile {profile.id} has no rule {rule.strip()!r}; rules: "
                             + ", ".join(sorted(rule_ids(profile))), code="unknown_rule")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidRequest("a reason is required for an exception", code="reason_required")
    maximum = profile.document.handling.exception_max_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= maximum:
        raise InvalidRequest(f"valid_days must be a whole number of days from 1 to {maximum} "
                             f"(the maximum of profile {profile.id})")
    object_type, object_id = body.get("object_type"), body.get("object_id")
    if (object_type is None) != (object_id is None):
        raise InvalidRequest("object_type and object_id go together")
    if object_type is not None and not (
            isinstance(object_type, str) and isinstance(object_id, str)
            and 0 < len(object_type) <= 40 and 0 < len(object_id) <= 64):
        raise InvalidRequest("object_type (≤ 40 chars) and object_id (≤ 64 chars) must be "
                             "strings")
    return {"rule": rule.strip(), "reason": reason.strip()[:MAX_REASON_CHARS],
            "valid_days": days, "object_type": object_type or RULE_OBJECT_TYPE,
            "object_id": object_id or rule.strip()}


def request_exception(
    session: Session, mac: Mac, requester: User, profile: Profile, parsed: dict[str, Any],
) -> Approval:
    reasons = [{"rule": parsed["rule"], "outcome": "exception",
                "ref": "Saitama 第2 3(2); Chiba 11.4",
                "message": "例外措置の適用には承認が必要",
                "message_en": "an exception to a rule needs an approver's permission"}]
    return request_approval(
        session, mac, kind=KIND_EXCEPTION, object_type=parsed["object_type"],
        object_id=parsed["object_id"], requester=requester, reasons=reasons, profile=profile,
        payload={"rule": parsed["rule"], "reason": parsed["reason"],
                 "valid_days": parsed["valid_days"], "profile": profile.id})


def _on_exception_decided(session: Session, approval: Approval, approver: User,
                          grant: bool) -> None:
    # The validity runs from the decision, never from the request (Saitama 第2 3(2)).
    if grant and approval.decided_at is not None:
        approval.valid_until = approval.decided_at + timedelta(
            days=int(approval.payload["valid_days"]))


register_decision_handler(KIND_EXCEPTION, _on_exception_decided)


def active_exceptions(session: Session, rule: str, object_id: str | None = None
                      ) -> list[Approval]:
    """Granted exceptions to ``rule`` still valid now: those bound to ``object_id`` and those
    granted for the rule as a whole."""
    targets = [rule] if object_id is None else [rule, object_id]
    candidates = session.execute(
        select(Approval).where(Approval.kind == KIND_EXCEPTION, Approval.state == APPROVED,
                               Approval.valid_until.is_not(None),
                               Approval.valid_until > utcnow(),
                               Approval.object_id.in_(targets))
        .order_by(Approval.decided_at)
    ).scalars().all()
    return [a for a in candidates if a.payload.get("rule") == rule
            and (a.object_type == RULE_OBJECT_TYPE or a.object_id == object_id)]
