"""The mail quarantine (issue 7, item 4): originals the inbound gateway did not deliver.

What is kept: the original of a message that carried malware, or that the sanitiser refused
as a whole (corrupt, over a limit, nothing inspectable), so that staff can look into it.
A message that was rewritten (無害化) is delivered cleaned and its original is NOT kept:
要機密情報 received must not stay on internet-connected systems (Saitama 第8 1(3)コ).

How it is kept: only encrypted, as a Document(kind="mail_quarantine", state=quarantined)
plus its Blob in the encrypted blob store (design: never plaintext at rest). The document
stays in the quarantined state for good, so /v1/documents/{id}/content never serves it.

Release: a records officer, security admin or approver asks (an approval of kind
``mail_release``); ANOTHER approver grants (兼務の禁止 / SOD-01, enforced by
service.approvals.decide_approval); then the requester alone may read the original, and every
read is an audit event. Malware is never released this way (409 malware_quarantined).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import Conflict, Forbidden, InvalidRequest, NotFound
from core.profiles import Profile
from core.roles import APPROVER, RECORDS_OFFICER, SECURITY_ADMIN
from core.states import DOC_QUARANTINED
from service.approvals import (
    APPROVED,
    KIND_MAIL_RELEASE,
    PENDING,
    register_decision_handler,
    request_approval,
)
from service.audit import Mac, append_event
from service.blobstore import BlobStore
from service.db import utcnow
from service.models import Approval, Document, User
from service.versions import read_version, record_blob

KIND_MAIL_QUARANTINE = "mail_quarantine"
OBJECT_TYPE = "mail_quarantine"
ORIGINAL = "original"
MESSAGE_RFC822 = "message/rfc822"
#: The owner of quarantined mail: the gateway acts for nobody in particular. It has no roles
#: and no token, so it can never log in.
SYSTEM_USER = "sekisho-mail-gateway"
REASON_MALWARE = "malware_detected"
RELEASE_ROLES = frozenset({RECORDS_OFFICER, SECURITY_ADMIN, APPROVER})
MAX_REASON_CHARS = 2000
RELEASE_REF = "issue 7 item 4; Saitama 第2 1(6) (兼務の禁止); Chiba 2(12)"

# Statuses shown for an item (derived from its release approvals, never stored twice).
QUARANTINED, RELEASE_REQUESTED, RELEASED = "quarantined", "release_requested", "released"


@dataclass(frozen=True)
class QuarantineFacts:
    """What is recorded beside the encrypted original: the envelope and why (no subject,
    no body: those are content)."""

    reason: str  # an error code: malware_detected, corrupt_file, limit_exceeded, ...
    detail: str
    mail_from: str
    rcpt_to: tuple[str, ...]
    client_address: str | None
    record_id: str | None = None


def system_user(session: Session) -> User:
    """The gateway's own user, created on first use (two gateways racing: one wins)."""
    found = session.execute(select(User).where(User.name == SYSTEM_USER)).scalar_one_or_none()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            user = User(name=SYSTEM_USER, profile=None, roles=[])
            session.add(user)
    except IntegrityError:
        return session.execute(select(User).where(User.name == SYSTEM_USER)).scalar_one()
    return user


def quarantine_original(
    session: Session, mac: Mac, blobs: BlobStore, raw: bytes, *, profile: Profile,
    facts: QuarantineFacts,
) -> Document:
    """Store ``raw`` encrypted as a quarantined mail document (the caller commits; on a
    failed commit the sealed file stays ciphertext under a key that was never recorded)."""
    owner = system_user(session)
    doc = Document(
        id=str(uuid.uuid4()), owner_id=owner.id, filename="message.eml",
        declared_type=MESSAGE_RFC822, detected_type=MESSAGE_RFC822, size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(), profile=profile.id, direction="inbound",
        kind=KIND_MAIL_QUARANTINE, state=DOC_QUARANTINED, error_code=facts.reason[:64],
        error_message=facts.detail[:2000],
        report={"quarantine": {"reason": facts.reason, "detail": facts.detail[:2000],
                               "mail_from": facts.mail_from, "rcpt_to": list(facts.rcpt_to),
                               "client_address": facts.client_address,
                               "record_id": facts.record_id,
                               "quarantined_at": utcnow().isoformat() + "Z"}})
    session.add(doc)
    session.flush()
    record_blob(session, doc.id, ORIGINAL, blobs.put_bytes(raw), MESSAGE_RFC822)
    append_event(session, mac, actor="system", action="mail.quarantined",
                 object_type=OBJECT_TYPE, object_id=doc.id,
                 details={"reason": facts.reason, "sha256": doc.sha256, "size": doc.size,
                          "record": facts.record_id})
    return doc


def link_record(doc: Document, record_id: str) -> None:
    """The exchange record is written after the document (it names it): link them."""
    quarantine = dict(doc.report.get("quarantine") or {})
    quarantine["record_id"] = record_id
    doc.report = {**doc.report, "quarantine": quarantine}


# --- reading ---------------------------------------------------------------------------------


def load_item(session: Session, item_id: str, *, lock: bool = False) -> Document:
    doc = session.get(Document, item_id, with_for_update=lock)
    if doc is None or doc.kind != KIND_MAIL_QUARANTINE:
        raise NotFound(f"no quarantined message {item_id}")
    return doc


def list_items(session: Session, limit: int) -> list[Document]:
    return list(session.execute(
        select(Document).where(Document.kind == KIND_MAIL_QUARANTINE)
        .order_by(Document.created_at.desc(), Document.id).limit(limit)).scalars())


def releases_of(session: Session, doc: Document) -> list[Approval]:
    return list(session.execute(
        select(Approval).where(Approval.kind == KIND_MAIL_RELEASE,
                               Approval.object_type == OBJECT_TYPE,
                               Approval.object_id == doc.id)
        .order_by(Approval.created_at)).scalars())


def status_of(releases: list[Approval]) -> str:
    states = {a.state for a in releases}
    if APPROVED in states:
        return RELEASED
    return RELEASE_REQUESTED if PENDING in states else QUARANTINED


def is_malware(doc: Document) -> bool:
    return (doc.report.get("quarantine") or {}).get("reason") == REASON_MALWARE


# --- release ---------------------------------------------------------------------------------


def parse_release(body: Any) -> str:
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise InvalidRequest('the body must be a JSON object {"reason": "..."}')
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidRequest("a reason is required to ask for a release",
                             code="reason_required")
    return reason.strip()[:MAX_REASON_CHARS]


def request_release(
    session: Session, mac: Mac, doc: Document, requester: User, profile: Profile, reason: str,
) -> Approval:
    """Open a ``mail_release`` approval; an open or granted one of the same requester is
    returned as it is (asking twice changes nothing)."""
    if not requester.role_names & RELEASE_ROLES:
        raise Forbidden("asking for a release needs one of the roles: "
                        + ", ".join(sorted(RELEASE_ROLES)))
    if is_malware(doc):
        # Issue 7 item 4 / issue 4 item 7: malware is kept, never handed out again.
        raise Conflict("this message carried malware: it is never released",
                       code="malware_quarantined")
    for approval in releases_of(session, doc):
        if approval.requested_by_id == requester.id and approval.state in (PENDING, APPROVED):
            return approval
    return request_approval(
        session, mac, kind=KIND_MAIL_RELEASE, object_type=OBJECT_TYPE, object_id=doc.id,
        requester=requester, profile=profile,
        reasons=[{"rule": "mail_release", "ref": RELEASE_REF,
                  "message": "隔離されたメールの原本の取出しには、申請者以外の承認が必要",
                  "message_en": "releasing a quarantined original needs an approver other "
                                "than the requester"}],
        payload={"reason": reason, "sha256": doc.sha256,
                 "quarantine_reason": (doc.report.get("quarantine") or {}).get("reason")})


def _on_release_decided(session: Session, approval: Approval, approver: User,
                        grant: bool) -> None:
    """service.approvals handler (same transaction; SoD already checked there): keep the
    outcome beside the item so the list shows who may read it."""
    doc = session.get(Document, approval.object_id)
    if doc is None or doc.kind != KIND_MAIL_QUARANTINE:
        return
    quarantine = dict(doc.report.get("quarantine") or {})
    decisions = list(quarantine.get("release_decisions") or [])
    decisions.append({"approval": approval.id, "granted": grant, "by": approver.name,
                      "at": utcnow().isoformat() + "Z"})
    quarantine["release_decisions"] = decisions
    doc.report = {**doc.report, "quarantine": quarantine}


register_decision_handler(KIND_MAIL_RELEASE, _on_release_decided)


def granted_release(session: Session, doc: Document, user: User) -> Approval:
    """The granted release of ``user`` for ``doc``, or Forbidden: only the requester of a
    granted release reads the original."""
    for approval in releases_of(session, doc):
        if approval.state == APPROVED and approval.requested_by_id == user.id:
            return approval
    raise Forbidden("the original is released only to the requester of a granted release",
                    code="release_not_granted")


def read_original(session: Session, mac: Mac, blobs: BlobStore, doc: Document,
                  user: User) -> bytes:
    """The original bytes for the requester of a granted release; audited every time (the
    caller commits before sending)."""
    if is_malware(doc):
        raise Conflict("this message carried malware: it is never released",
                       code="malware_quarantined")
    approval = granted_release(session, doc, user)
    data = read_version(session, blobs, doc.id, ORIGINAL)
    append_event(session, mac, actor=user.name, action="mail.original_read",
                 object_type=OBJECT_TYPE, object_id=doc.id,
                 details={"approval": approval.id, "sha256": doc.sha256, "size": len(data)})
    return data
