"""The request of an export and its decision (service.exports): the body checked, the
documents loaded, the profile's policy decides, approvals are asked for each pending rule
and the package is made once nothing stands in the way."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidRequest, NotFound
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
from core.states import DOC_PROCESSED
from keys.export import ExportFormat
from service import approvals
from service.exchange import record_exchange
from service.export_package import PACKAGE_KIND
from service.export_packaging import make_package
from service.export_states import AWAITING, DENIED, audit_export, partner_of, set_export_state
from service.models import Approval, Document, Export, User
from service.runtime import Runtime

FORMATS = tuple(f.value for f in ExportFormat)
MAX_DOCUMENTS = 100
MAX_FIELD = 254
MAX_CERTIFICATE = 64 * 1024


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
    record_exchange(session, source="export", profile=export.profile, partner=partner_of(export),
                    method=export.method, content=_content(docs), requested_by=user.name,
                    approvers=[], outcome=DENIED, reasons=export.decision["reasons"],
                    export_id=export.id)
    audit_export(session, rt, user.name, "export.requested", export, decision=decision.decision,
           requirements=export.decision["requirements"], documents=export.document_ids)
    return export, advance_export(rt, session, export, docs, decision, user)


def advance_export(rt: Runtime, session: Session, export: Export, docs: Sequence[Document],
             decision: ExportDecision, requester: User) -> str | None:
    """Move to the state the decision allows: denied, awaiting approval, or packaged."""
    export.decision = decision.to_dict()
    if decision.denied:
        set_export_state(session, export, DENIED)
        return None
    if decision.pending_approvals:
        ask_approvals(rt, session, export, decision, requester)
        set_export_state(session, export, AWAITING)
        return None
    return make_package(rt, session, export, docs, decision)


def ask_approvals(rt: Runtime, session: Session, export: Export, decision: ExportDecision,
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
                     "recipient": partner_of(export)},
            profile=profile)
        export.approval_ids = [*(export.approval_ids or []), approval.id]
