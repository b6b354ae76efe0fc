"""Exports (issue 6, items 1, 2 and 4): the profile's policy decides, approvals are asked for
each pending rule, the package is made once nothing stands in the way, and every step lands
in the exchange record (Ishikawa 第12(6)) and the audit log.

States: ``denied`` (recorded, nothing made), ``awaiting_approval``, ``rejected`` (an approver
said no), ``ready`` (package made), ``delivered`` (downloaded), ``confirmed`` (the recipient's
size and hash matched, Ishikawa 第12(4); staging purged, Saitama 第8 1(3)ケ) and ``erased``
(読後廃棄: the package's key was crypto-erased after the first download or the deadline).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core.errors import Conflict, DeliveryMismatch, ExportErased, InvalidRequest, NotFound
from core.handling import (
    DocumentFacts,
    ExportContext,
    ExportDecision,
    Recipient,
    Requester,
    decide_export,
)
from core.handling.context import METHODS
from core.labels import Label
from core.roles import REVIEWERS
from core.states import DOC_ERASED, DOC_PROCESSED
from keys.export import ExportFormat
from service import approvals
from service.audit import Mac, append_event
from service.db import utcnow
from service.erasure import EraseRequest, RecordSigner, default_record_signer, erase_document
from service.exchange import record_exchange, record_of_export, update_exchange
from service.export_package import (
    PACKAGE_BLOB,
    PACKAGE_KIND,
    Package,
    PackedFile,
    build_package,
    sendable_file,
    store_package,
)
from service.models import Approval, Document, Export, User
from service.runtime import Runtime
from service.versions import read_version

log = logging.getLogger("sekisho.exports")

DENIED, AWAITING, REJECTED = "denied", "awaiting_approval", "rejected"
APPROVED = "approved"  # every approval granted; the requester makes the package
EXPIRED = "expired"  # an approval it waited for expired undecided
READY, DELIVERED, CONFIRMED, ERASED = "ready", "delivered", "confirmed", "erased"
DOWNLOADABLE = frozenset({READY, DELIVERED})
FORMATS = tuple(f.value for f in ExportFormat)
MAX_DOCUMENTS = 100
MAX_FIELD = 254
MAX_CERTIFICATE = 64 * 1024
READ_ONCE_REASON = "読後廃棄"
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


# -- the request ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRequest:
    document_ids: tuple[str, ...]
    recipient: dict[str, str]
    method: str
    format: str | None


def _text(value: Any, field: str, required: bool = False,
          limit: int = MAX_FIELD) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidRequest(f"{field}: a non-empty string of at most {limit} characters")
    return value.strip()


def _recipient(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise InvalidRequest("recipient: an object with at least a name is required")
    out = {"name": _text(raw.get("name"), "recipient.name", required=True)}
    for key in ("organisation", "email"):
        out[key] = _text(raw.get(key), f"recipient.{key}")
    out["certificate_pem"] = _text(raw.get("certificate_pem"), "recipient.certificate_pem",
                                   limit=MAX_CERTIFICATE)
    if out["email"] and "@" not in out["email"]:
        raise InvalidRequest("recipient.email: not an e-mail address")
    return {k: v for k, v in out.items() if v is not None}


def parse_request(body: Any) -> ExportRequest:
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    ids = body.get("document_ids")
    if not isinstance(ids, list) or not ids or len(ids) > MAX_DOCUMENTS or not all(
            isinstance(i, str) and 0 < len(i) <= 64 for i in ids):
        raise InvalidRequest(f"document_ids: a list of 1 to {MAX_DOCUMENTS} document ids")
    method = body.get("method")
    if method not in METHODS:
        raise InvalidRequest(f"method: must be one of {', '.join(METHODS)}")
    fmt = body.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise InvalidRequest(f"format: must be one of {', '.join(FORMATS)}")
    return ExportRequest(tuple(dict.fromkeys(ids)), _recipient(body.get("recipient")),
                         str(method), fmt)


# -- the decision --------------------------------------------------------------------------


def load_documents(session: Session, user: User, ids: Sequence[str]) -> list[Document]:
    """The documents, each visible to ``user`` and processed; 404 names the first unknown."""
    docs = {d.id: d for d in session.execute(
        select(Document).where(Document.id.in_(list(ids)))).scalars()}
    reviewer = bool(user.role_names & REVIEWERS)
    for doc_id in ids:
        doc = docs.get(doc_id)
        # Someone else's document is as invisible as a missing one (documents API).
        if doc is None or (doc.owner_id != user.id and not reviewer):
            raise NotFound(f"document_ids: no document {doc_id}")
        if doc.kind == PACKAGE_KIND:
            raise Conflict(f"document {doc_id} is an export package, not a document")
        if doc.state != DOC_PROCESSED or not doc.label:
            raise Conflict(f"document {doc_id} is not processed and labelled yet "
                           f"(state {doc.state})", code="not_processed")
    if len({docs[i].profile for i in ids}) > 1:
        raise InvalidRequest("document_ids: the documents belong to different profiles")
    return [docs[i] for i in ids]


def document_facts(doc: Document) -> DocumentFacts:
    assert doc.label is not None
    return DocumentFacts(doc.id, doc.filename or doc.id, Label.from_dict(doc.label),
                         doc.owner_id, frozenset(doc.named_recipients or ()),
                         frozenset(doc.viewers or ()), doc.provisions or 0)


def decide(rt: Runtime, export: Export, docs: Sequence[Document], requester: User,
           granted: frozenset[str] = frozenset()) -> ExportDecision:
    recipient = export.recipient
    ctx = ExportContext(
        tuple(document_facts(d) for d in docs), export.method,
        Recipient(recipient["name"], recipient.get("organisation"), recipient.get("email"),
                  bool(recipient.get("certificate_pem"))),
        Requester(requester.id, requester.name, frozenset(requester.role_names)), granted)
    return decide_export(rt.profile(export.profile), ctx)


def _content(docs: Sequence[Document]) -> list[dict[str, Any]]:
    return [{"name": d.filename or d.id, "sha256": d.sha256, "size": d.size,
             "label": d.label} for d in docs]


def _partner(export: Export) -> dict[str, Any]:
    partner = {k: v for k, v in export.recipient.items() if k != "certificate_pem"}
    partner["has_certificate"] = bool(export.recipient.get("certificate_pem"))
    return partner


def _audit(session: Session, rt: Runtime, actor: str, action: str, export: Export,
           **details: Any) -> None:
    append_event(session, rt.audit_mac, actor=actor, action=action, object_type="export",
                 object_id=export.id, details={"state": export.state, **details})


def create_export(rt: Runtime, session: Session, user: User,
                  req: ExportRequest) -> tuple[Export, str | None]:
    """Decide, record and (when nothing stands in the way) package. Returns the export and a
    generated password, which the caller shows once and never stores."""
    docs = load_documents(session, user, req.document_ids)
    export = Export(id=str(uuid.uuid4()), requested_by_id=user.id, profile=docs[0].profile,
                    method=req.method, recipient=req.recipient, requested_format=req.format,
                    document_ids=list(req.document_ids), decision={}, approval_ids=[],
                    state=DENIED, downloads=0, read_once=False)
    decision = decide(rt, export, docs, user)
    export.decision = decision.to_dict()
    session.add(export)
    session.flush()
    record_exchange(session, source="export", profile=export.profile, partner=_partner(export),
                    method=export.method, content=_content(docs), requested_by=user.name,
                    approvers=[], outcome=DENIED, reasons=export.decision["reasons"],
                    export_id=export.id)
    _audit(session, rt, user.name, "export.requested", export, decision=decision.decision,
           requirements=export.decision["requirements"], documents=export.document_ids)
    return export, _advance(rt, session, export, docs, decision, user)


def _advance(rt: Runtime, session: Session, export: Export, docs: Sequence[Document],
             decision: ExportDecision, requester: User) -> str | None:
    """Move to the state the decision allows: denied, awaiting approval, or packaged."""
    export.decision = decision.to_dict()
    if decision.denied:
        _set_state(session, export, DENIED)
        return None
    if decision.pending_approvals:
        _ask_approvals(rt, session, export, decision, requester)
        _set_state(session, export, AWAITING)
        return None
    return _package(rt, session, export, docs, decision)


def _set_state(session: Session, export: Export, state: str, **delivery: Any) -> None:
    export.state = state
    record = record_of_export(session, export.id)
    if record is not None:
        update_exchange(record, outcome=state, delivery=delivery or None)
        record.reasons = export.decision.get("reasons", record.reasons)


def _ask_approvals(rt: Runtime, session: Session, export: Export, decision: ExportDecision,
                   requester: User) -> None:
    """One request per pending rule (Chiba 6.2(9)イ, Ishikawa 第12(7)/第18); a rule already
    waiting is not asked twice."""
    asked = {a.payload.get("rule") for a in session.execute(
        select(Approval).where(Approval.object_type == "export",
                               Approval.object_id == export.id,
                               Approval.state == approvals.PENDING)).scalars()}
    profile = rt.profile(export.profile)
    for reason in decision.pending_approvals:
        if reason.rule in asked:
            continue
        asked.add(reason.rule)
        approval = approvals.request_approval(
            session, rt.audit_mac, kind=approvals.KIND_EXPORT, object_type="export",
            object_id=export.id, requester=requester, reasons=[reason.to_dict()],
            payload={"rule": reason.rule, "export": export.id, "approver": reason.approver,
                     "documents": list(reason.documents), "method": export.method,
                     "recipient": _partner(export)},
            profile=profile)
        export.approval_ids = [*(export.approval_ids or []), approval.id]


def _package(rt: Runtime, session: Session, export: Export, docs: Sequence[Document],
             decision: ExportDecision) -> str | None:
    files: list[PackedFile] = [sendable_file(session, rt, d) for d in docs]
    package: Package = build_package(rt, files, decision, export)
    stored = store_package(session, rt, export, package, decision.label.to_dict(),
                           export.requested_by_id)
    export.package_document_id, export.package_name = stored.id, package.name
    export.package_size, export.package_sha256 = stored.size, stored.sha256
    export.format, export.signature = package.format, package.signature
    export.read_once = decision.read_once
    if decision.single_provision or decision.read_once:
        export.max_downloads = 1  # 複製禁止: one provision; 読後廃棄: one reading
    if decision.read_once:
        hours = rt.profile(export.profile).document.handling.read_once_max_hours
        export.expires_at = utcnow() + timedelta(hours=hours)
    if decision.single_provision:
        for doc in docs:  # the engine denies a second export of a 複製禁止 document
            doc.provisions = (doc.provisions or 0) + 1
    sent = {"name": package.name, "size": stored.size, "sha256": stored.sha256,
            "format": package.format, "signed": package.signature is not None}
    record = record_of_export(session, export.id)
    if record is not None:
        record.content = [f.entry(d.label) for f, d in zip(files, docs, strict=True)]
    _set_state(session, export, READY, sent=sent)
    _audit(session, rt, "system", "export.packaged", export, package=sent,
           package_document=stored.id, read_once=export.read_once,
           expires_at=export.expires_at.isoformat() + "Z" if export.expires_at else None)
    return package.password


# -- approvals -----------------------------------------------------------------------------


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
        _set_state(session, export, REJECTED)
        _audit(session, rt, approver.name, "export.rejected", export, approval=approval.id)
        return
    requester = session.get_one(User, export.requested_by_id)
    docs = list(session.execute(select(Document).where(
        Document.id.in_(export.document_ids))).scalars())
    docs.sort(key=lambda d: export.document_ids.index(d.id))
    granted = approvals.granted_rules(session, "export", export.id)
    decision = decide(rt, export, docs, requester, granted)
    export.decision = decision.to_dict()
    if decision.denied:
        _set_state(session, export, DENIED)
    elif decision.pending_approvals:
        _ask_approvals(rt, session, export, decision, requester)
    else:
        # Not packaged here: a generated password must reach the REQUESTER once, never the
        # approver, so the requester makes the package (POST /v1/exports/{id}/package).
        _set_state(session, export, APPROVED)
    _audit(session, rt, approver.name, "export.redecided", export, approval=approval.id,
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
    password = _advance(rt, session, export, docs, decision, user)
    _audit(session, rt, user.name, "export.package_requested", export,
           decision=decision.decision)
    return password


def on_export_approval_expired(session: Session, mac: Mac, approval: Approval) -> None:
    """An export waiting for an approval that expired ends: the requester asks again."""
    export = session.get(Export, approval.object_id, with_for_update=True)
    if export is None or export.state != AWAITING:
        return
    _set_state(session, export, EXPIRED)
    append_event(session, mac, actor="system", action="export.expired",
                 object_type="export", object_id=export.id, details={"approval": approval.id})


approvals.register_decision_handler(approvals.KIND_EXPORT, on_export_decided)
approvals.register_expiry_handler(approvals.KIND_EXPORT, on_export_approval_expired)


# -- download, 読後廃棄, delivery confirmation ------------------------------------------------


def check_downloadable(export: Export) -> None:
    if export.erasure_id is not None or export.state == ERASED:
        raise ExportErased(f"the package was crypto-erased ({READ_ONCE_REASON} or staging "
                           f"purge); erasure record {export.erasure_id}",
                           erasure_id=export.erasure_id)
    if export.state not in DOWNLOADABLE or export.package_document_id is None:
        raise Conflict(f"the export is {export.state}: there is no package to download",
                       code="export_not_ready")


def take_download(rt: Runtime, session: Session, export: Export, user: User) -> bytes:
    """Count one download (compare-and-set: two concurrent readers of a one-time package
    cannot both win) and return the verified package bytes; the caller commits."""
    check_downloadable(export)
    assert export.package_document_id is not None
    limit = (Export.downloads < export.max_downloads if export.max_downloads is not None
             else Export.downloads >= 0)
    counted = session.execute(update(Export).where(Export.id == export.id, limit).values(
        downloads=Export.downloads + 1, state=DELIVERED).execution_options(
        synchronize_session=False))
    if getattr(counted, "rowcount", 0) != 1:
        raise Conflict("the package may be downloaded only once (複製禁止 / 読後廃棄)",
                       code="download_limit_reached")
    data = read_version(session, rt.blobs, export.package_document_id, PACKAGE_BLOB)
    session.refresh(export)
    _set_state(session, export, DELIVERED, downloads=export.downloads,
               last_download_at=utcnow().isoformat() + "Z")
    _audit(session, rt, user.name, "export.downloaded", export, downloads=export.downloads)
    return data


def erase_package(rt: Runtime, export_id: str, request: EraseRequest,
                  signer: RecordSigner, *, final_state: str = ERASED) -> str | None:
    """Crypto-erase the package (its own session: erase_document commits and checkpoints;
    the caller must hold no write transaction). Returns the erasure id."""
    with rt.sessions() as session:
        export = session.get_one(Export, export_id)
        package_id = export.package_document_id
    if package_id is None:
        return None
    erasure, _created = erase_document(rt, package_id, request, signer)
    with rt.sessions.begin() as session:
        export = session.get_one(Export, export_id, with_for_update=True)
        export.erasure_id = erasure.id
        purged = utcnow()
        _set_state(session, export, final_state, erasure_id=erasure.id)
        record = record_of_export(session, export_id)
        if record is not None:
            update_exchange(record, staging_purged_at=purged)
        _audit(session, rt, request.operator, "export.package_erased", export,
               erasure=erasure.id, reason=request.reason)
    return erasure.id


def system_erase_request(export: Export, reason: str) -> EraseRequest:
    return EraseRequest(export.requested_by_id, "system", (), reason=reason)


def erase_expired_exports(rt: Runtime,
                          signer: Callable[[], RecordSigner] | RecordSigner | None = None,
                          ) -> list[str]:
    """読後廃棄 sweep: packages downloaded once (an erase that failed right after the download)
    or past their deadline are erased now. Called lazily by the export endpoints."""
    now = utcnow()
    with rt.sessions() as session:
        due = list(session.execute(select(Export).where(
            Export.read_once.is_(True), Export.erasure_id.is_(None),
            Export.package_document_id.is_not(None),
            or_(Export.downloads >= 1, Export.expires_at < now))).scalars())
        requests = [(e.id, system_erase_request(e, f"{READ_ONCE_REASON} (期限)")) for e in due]
    erased: list[str] = []
    if not requests:
        return erased
    # The signer is loaded only when something is due (it unseals the signing key).
    record_signer = signer() if callable(signer) else signer or default_record_signer(rt)
    for export_id, request in requests:
        try:
            if erase_package(rt, export_id, request, record_signer):
                erased.append(export_id)
        except Exception:  # one failing export must not stop the sweep; retried next time
            log.exception("読後廃棄: erasing the package of export %s failed", export_id)
    return erased


def parse_confirmation(body: Any) -> tuple[int, str]:
    if not isinstance(body, dict):
        raise InvalidRequest('a JSON body {"size": ..., "sha256": ...} is required')
    size, digest = body.get("size"), body.get("sha256")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InvalidRequest("size: the number of bytes received")
    if not isinstance(digest, str) or not SHA256_HEX.match(digest.strip().lower()):
        raise InvalidRequest("sha256: 64 hexadecimal characters")
    return size, digest.strip().lower()


def record_confirmation(rt: Runtime, session: Session, export: Export, user: User,
                        size: int, digest: str) -> bool:
    """Ishikawa 第12(4): compare with what was sent and record the result (caller commits).
    Returns whether it matched."""
    if export.package_sha256 is None or export.state not in (*DOWNLOADABLE, ERASED):
        raise Conflict(f"the export is {export.state}: nothing was sent to confirm",
                       code="export_not_ready")
    matched = size == export.package_size and digest == export.package_sha256
    confirmation = {"size": size, "sha256": digest, "match": matched,
                    "confirmed_by": user.name, "at": utcnow().isoformat() + "Z"}
    record = record_of_export(session, export.id)
    if record is not None:
        update_exchange(record, delivery={"confirmation": confirmation},
                        outcome=CONFIRMED if matched else "delivery_mismatch")
    _audit(session, rt, user.name, "export.delivery_confirmed" if matched
           else "export.delivery_mismatch", export, confirmation=confirmation)
    return matched


def confirm_delivery(rt: Runtime, export_id: str, user: User, signer: RecordSigner | None,
                     ) -> None:
    """After a matching confirmation: purge the staging copy (Saitama 第8 1(3)ケ)."""
    with rt.sessions() as session:
        export = session.get_one(Export, export_id)
        already = export.erasure_id is not None
    if already:
        with rt.sessions.begin() as session:
            export = session.get_one(Export, export_id)
            export.state = CONFIRMED
            record = record_of_export(session, export_id)
            if record is not None:
                update_exchange(record, outcome=CONFIRMED)
        return
    request = EraseRequest.by(user, reason="送達確認後のステージング消去 (Saitama 第8 1(3)ケ)")
    erase_package(rt, export_id, request, signer or default_record_signer(rt),
                  final_state=CONFIRMED)


def mismatch_error(export: Export) -> DeliveryMismatch:
    return DeliveryMismatch(f"the recipient's size or SHA-256 differs from the package sent "
                            f"({export.package_size} bytes, {export.package_sha256}); the "
                            "package is kept for investigation")


def package_erased(session: Session, export: Export) -> bool:
    if export.package_document_id is None:
        return False
    doc = session.get(Document, export.package_document_id)
    return doc is None or doc.state == DOC_ERASED


# -- JSON ----------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def export_json(session: Session, export: Export) -> dict[str, Any]:
    record = record_of_export(session, export.id)
    return {
        "id": export.id, "state": export.state, "profile": export.profile,
        "method": export.method, "recipient": _partner(export),
        "requested_by": export.requested_by.name, "document_ids": export.document_ids,
        "requested_format": export.requested_format, "decision": export.decision,
        "approval_ids": export.approval_ids or [],
        "package": None if export.package_document_id is None else {
            "name": export.package_name, "format": export.format, "size": export.package_size,
            "sha256": export.package_sha256, "signed": export.signature is not None,
            "downloads": export.downloads, "max_downloads": export.max_downloads,
            "read_once": export.read_once, "expires_at": _iso(export.expires_at),
            "erased": package_erased(session, export)},
        "erasure_id": export.erasure_id,
        "exchange_record_id": record.id if record is not None else None,
        "created_at": _iso(export.created_at), "updated_at": _iso(export.updated_at),
    }
