"""Requesting a disposal (service.disposals): the body checked, the documents in scope resolved
with their copies (DSP-03), refused while any is under legal hold, in an open export or still
processing, and the approval asked for where the profile wants one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidRequest, NotFound, UnknownProfile
from core.profiles import Profile
from core.states import DOC_ERASED, JOB_QUEUED, JOB_RUNNING
from service.approvals import KIND_DISPOSAL, request_approval
from service.audit import Mac, append_event
from service.disposal_states import (
    AWAITING_APPROVAL,
    IN_CHUNK,
    MAX_IDS,
    MAX_NOTE,
    OBJECT_TYPE,
    OPEN_EXPORT_STATES,
    REASONS,
    after_approval,
)
from service.models import Disposal, Document, Export, Job, User


class DisposalRefused(Conflict):
    """409: a document in scope is under legal hold, an open export or still processing;
    ``refusals`` says which reason holds for which documents."""

    code = "disposal_refused"
    default_message = "some documents in scope cannot be disposed of now"

    def __init__(self, refusals: list[dict[str, Any]]) -> None:
        parts = [f"{r['reason']}: {', '.join(r['document_ids'])}" for r in refusals]
        super().__init__("disposal refused (" + "; ".join(parts) + ")")
        self.refusals = refusals

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "refusals": self.refusals}


# -- the request --------------------------------------------------------------------------


@dataclass(frozen=True)
class DisposalAsk:
    scope: dict[str, Any]
    reason: str
    note: str | None


def parse_request(body: Any, profiles: dict[str, Profile]) -> DisposalAsk:
    """Validate a POST /v1/disposals body: exactly one of document_ids, contract, profile."""
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    unknown = set(body) - {"document_ids", "contract", "profile", "reason", "note"}
    if unknown:
        raise InvalidRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
    given = [k for k in ("document_ids", "contract", "profile") if body.get(k) is not None]
    if len(given) != 1:
        raise InvalidRequest("give exactly one of document_ids, contract or profile")
    reason = body.get("reason")
    if reason not in REASONS:
        raise InvalidRequest(f"reason must be one of: {', '.join(REASONS)}")
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        raise InvalidRequest(f"note must be a string of at most {MAX_NOTE} characters")
    return DisposalAsk(_scope(given[0], body[given[0]], profiles), reason,
                       note.strip() or None if isinstance(note, str) else None)


def _scope(kind: str, value: Any, profiles: dict[str, Profile]) -> dict[str, Any]:
    if kind == "document_ids":
        if (not isinstance(value, list) or not value or len(value) > MAX_IDS
                or not all(isinstance(v, str) and v for v in value)):
            raise InvalidRequest("document_ids must be a non-empty list of document ids")
        return {"document_ids": list(dict.fromkeys(value))}
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"{kind} must be a non-empty string")
    if kind == "profile" and value not in profiles:
        raise UnknownProfile(f"profile: no profile {value!r}")
    return {kind: value.strip()}


def in_chunks(items: Sequence[str], size: int = IN_CHUNK) -> Iterator[Sequence[str]]:
    for at in range(0, len(items), size):
        yield items[at:at + size]


def resolve_documents(session: Session, scope: dict[str, Any]) -> list[Document]:
    """The documents in scope now, not erased, with every copy derived from them (DSP-03)."""
    if "document_ids" in scope:
        wanted: list[str] = scope["document_ids"]
        found = {d.id: d for chunk in in_chunks(wanted) for d in session.execute(
            select(Document).where(Document.id.in_(chunk))).scalars()}
        if missing := [i for i in wanted if i not in found]:
            raise NotFound(f"document_ids: no document {', '.join(missing[:20])}")
        roots = [found[i] for i in wanted]
    else:
        column = Document.contract if "contract" in scope else Document.profile
        value = scope.get("contract", scope.get("profile"))
        roots = list(session.execute(select(Document).where(column == value)
                                     .order_by(Document.created_at, Document.id)).scalars())
    docs = [d for d in roots if d.state != DOC_ERASED]
    return docs + _copies_of(session, [d.id for d in docs], {d.id for d in docs})


def _copies_of(session: Session, parents: list[str], seen: set[str]) -> list[Document]:
    """Derived documents, transitively (a copy of a copy goes too: Saitama 第3 2(5))."""
    copies: list[Document] = []
    while parents:
        found = [d for chunk in in_chunks(parents) for d in session.execute(
            select(Document).where(Document.parent_id.in_(chunk),
                                   Document.state != DOC_ERASED)).scalars()
                 if d.id not in seen]
        seen.update(d.id for d in found)
        copies += found
        parents = [d.id for d in found]
    return copies


def refusals(session: Session, docs: Sequence[Document]) -> list[dict[str, Any]]:
    """Why some of ``docs`` may not be erased now: legal hold, an open export, processing."""
    ids = [d.id for d in docs]
    held = [d.id for d in docs if d.legal_hold]
    in_export = set(ids) & _ids_in_open_exports(session)
    busy = {j for chunk in in_chunks(ids) for j in session.execute(select(Job.document_id).where(
        Job.document_id.in_(chunk), Job.state.in_((JOB_QUEUED, JOB_RUNNING)))).scalars()}
    out = []
    for reason, hit in (("legal_hold", held), ("open_export", [i for i in ids if i in in_export]),
                        ("processing", [i for i in ids if i in busy])):
        if hit:
            out.append({"reason": reason, "document_ids": hit})
    return out


def _ids_in_open_exports(session: Session) -> set[str]:
    rows = session.execute(select(Export.document_ids).where(
        Export.state.in_(OPEN_EXPORT_STATES))).scalars()
    return {i for ids in rows for i in (ids or [])}


def _single_profile(scope: dict[str, Any], docs: Sequence[Document]) -> str:
    if "profile" in scope:
        return str(scope["profile"])
    names = sorted({d.profile for d in docs})
    if len(names) != 1:
        raise InvalidRequest(f"the documents belong to several profiles ({', '.join(names)}); "
                             "ask for one disposal per profile")
    return names[0]


def request_disposal(session: Session, mac: Mac, profiles: dict[str, Profile],
                     requester: User, ask: DisposalAsk) -> Disposal:
    """Resolve, check and record a disposal request; the caller commits (then enqueues
    ``to_enqueue(disposal)`` when no approval or witness is needed)."""
    docs = resolve_documents(session, ask.scope)
    if not docs:
        raise Conflict("nothing to dispose of: no document in scope that is not erased already",
                       code="nothing_to_dispose")
    if refused := refusals(session, docs):
        raise DisposalRefused(refused)
    profile = profiles[_single_profile(ask.scope, docs)]
    spec = profile.document.handling.disposal
    disposal = Disposal(
        id=str(uuid.uuid4()), requested_by_id=requester.id, profile=profile.id,
        scope=ask.scope, document_ids=[d.id for d in docs], reason=ask.reason, note=ask.note,
        state=AWAITING_APPROVAL if spec.approval else after_approval(spec.witness),
        witness_required=spec.witness, total=len(docs), erased=0, failed=[])
    session.add(disposal)
    session.flush()
    append_event(session, mac, actor=requester.name, action="disposal.requested",
                 object_type=OBJECT_TYPE, object_id=disposal.id,
                 details={"scope": _scope_summary(ask.scope), "reason": ask.reason,
                          "total": disposal.total, "profile": profile.id,
                          "approval": spec.approval, "witness": spec.witness})
    if spec.approval:
        approval = request_approval(
            session, mac, kind=KIND_DISPOSAL, object_type=OBJECT_TYPE, object_id=disposal.id,
            requester=requester, profile=profile,
            reasons=[{"rule": "disposal_approval", "ref": spec.ref,
                      "message": {"ja": f"廃棄（{ask.reason}）の承認",
                                  "en": f"approval of a disposal ({ask.reason})"}}],
            payload={"reason": ask.reason, "total": disposal.total,
                     "scope": _scope_summary(ask.scope), "witness": spec.witness})
        disposal.approval_id = approval.id
    return disposal


def _scope_summary(scope: dict[str, Any]) -> dict[str, Any]:
    if "document_ids" in scope:
        return {"document_ids": len(scope["document_ids"])}
    return dict(scope)
