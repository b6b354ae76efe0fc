"""The disposal workflow of records staff (issue 6, item 5; design: "Records staff, verified
erasure"): request -> approval by a different person -> witness where the profile asks ->
crypto-erase of every document in scope, in batches, with progress -> signed records.

- A request names documents, a contract (返却・消去 at contract end: fire union 3, Saitama 第4)
  or a whole tenant (profile) and a reason (読後廃棄 | 職務上不要 | 契約終了). The documents are
  resolved when asked, copies included (a copy must go with its original: DSP-03), and the
  request is refused while any of them is under legal hold or an open export.
- Approval through service.approvals (kind "disposal": the requester never approves, SOD-01;
  Chiba 6.2(10)ウ, Ishikawa 第3 2(2)); a witness who is neither requester nor approver where
  ``handling.disposal.witness`` (Ishikawa 立会い, DSP-12).
- Execution is a worker task (``DISPOSAL_TASK``): batches through service.erasure (one signed
  record per document), the progress committed after each batch. It is resumable: a rerun
  erases only what has no completed record yet (erase_documents finishes pending erases).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from core.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    SekishoError,
    SeparationOfDutiesViolation,
    UnknownProfile,
)
from core.profiles import Profile
from core.roles import APPROVER, AUDITOR, RECORDS_OFFICER, SECURITY_ADMIN
from core.settings import Settings, load_settings
from core.states import DOC_ERASED, JOB_QUEUED, JOB_RUNNING
from service.approvals import (
    KIND_DISPOSAL,
    register_decision_handler,
    register_expiry_handler,
    request_approval,
)
from service.audit import Mac, append_event
from service.db import utcnow
from service.erasure import (
    COMPLETED,
    EraseRequest,
    RecordSigner,
    default_record_signer,
    erase_document,
    erase_documents,
)
from service.models import Approval, AuditEvent, Disposal, Document, Erasure, Export, Job, User
from service.queue import QUEUE, celery_for
from service.runtime import Runtime

log = logging.getLogger("sekisho.disposals")

DISPOSAL_TASK = "sekisho.run_disposal"
OBJECT_TYPE = "disposal"
REASONS = ("読後廃棄", "職務上不要", "契約終了")  # issue 6 item 5; DSP-01..DSP-14
AWAITING_APPROVAL, AWAITING_WITNESS = "awaiting_approval", "awaiting_witness"
APPROVED, RUNNING, DONE, FAILED, REJECTED = "approved", "running", "done", "failed", "rejected"
EXPIRED = "expired"  # its approval request expired undecided
STATES = (AWAITING_APPROVAL, AWAITING_WITNESS, APPROVED, RUNNING, DONE, FAILED, REJECTED,
          EXPIRED)
# An export still able to release the content (issue 6 item 5: refused while open).
OPEN_EXPORT_STATES = ("awaiting_approval", "ready", "delivered")
WITNESS_ROLES = frozenset({APPROVER, RECORDS_OFFICER, SECURITY_ADMIN, AUDITOR})  # DSP-12
BATCH_SIZE = 200
IN_CHUNK = 500  # ids per IN (...) query: far below SQLite's and PostgreSQL's limits
MAX_NOTE = 2000
MAX_IDS = 100_000


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


def _chunks(items: Sequence[str], size: int = IN_CHUNK) -> Iterator[Sequence[str]]:
    for at in range(0, len(items), size):
        yield items[at:at + size]


def resolve_documents(session: Session, scope: dict[str, Any]) -> list[Document]:
    """The documents in scope now, not erased, with every copy derived from them (DSP-03)."""
    if "document_ids" in scope:
        wanted: list[str] = scope["document_ids"]
        found = {d.id: d for chunk in _chunks(wanted) for d in session.execute(
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
        found = [d for chunk in _chunks(parents) for d in session.execute(
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
    busy = {j for chunk in _chunks(ids) for j in session.execute(select(Job.document_id).where(
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
        state=AWAITING_APPROVAL if spec.approval else _after_approval(spec.witness),
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


def _after_approval(witness: bool) -> str:
    return AWAITING_WITNESS if witness else APPROVED


def _scope_summary(scope: dict[str, Any]) -> dict[str, Any]:
    if "document_ids" in scope:
        return {"document_ids": len(scope["document_ids"])}
    return dict(scope)


# -- approval and witness -----------------------------------------------------------------


def _on_disposal_decided(session: Session, approval: Approval, approver: User,
                         grant: bool) -> None:
    """service.approvals handler (same transaction): SoD is already checked there."""
    disposal = session.get(Disposal, approval.object_id, with_for_update=True)
    if disposal is None or disposal.state != AWAITING_APPROVAL:
        return
    disposal.state = _after_approval(disposal.witness_required) if grant else REJECTED
    append_event(session, _mac_of(session), actor=approver.name,
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


# -- queueing -----------------------------------------------------------------------------


def enqueue_disposal(settings: Settings, disposal_id: str) -> None:
    """Send the disposal id (never content) to the workers."""
    celery_for(settings).send_task(DISPOSAL_TASK, args=[disposal_id], queue=QUEUE)


def _current_settings() -> Settings:
    from flask import has_app_context

    if has_app_context():
        from service.runtime import runtime

        return runtime().settings
    return load_settings()


def _mac_of(session: Session) -> Mac:
    mac: Mac | None = session.info.get("audit_mac")
    if mac is not None:
        return mac
    from flask import has_app_context

    if not has_app_context():
        raise RuntimeError("disposal decisions need the runtime's audit MAC")
    from service.runtime import runtime

    return runtime().audit_mac


def enqueue_after_commit(session: Session, disposal_id: str) -> None:
    """Send only once the state is committed, or the worker could find it not approved yet.
    A lost message is harmless: ``sweep_disposals`` and POST /execute re-queue."""
    settings = session.info.get("settings") or _current_settings()

    def send(_session: Session) -> None:
        try:
            enqueue_disposal(settings, disposal_id)
        except Exception:
            log.warning("could not reach the task broker; disposal %s stays approved",
                        disposal_id)

    event.listen(session, "after_commit", send, once=True)


# -- execution ----------------------------------------------------------------------------


@dataclass
class _Run:
    disposal_id: str
    request: EraseRequest
    remaining: list[str]
    erased: int
    failed: list[dict[str, Any]] = field(default_factory=list)


def claim(rt: Runtime, disposal_id: str) -> bool:
    """approved -> running (a conditional UPDATE: duplicate deliveries are harmless); a
    running one is taken over (resume after a killed worker: erasing is idempotent)."""
    with rt.sessions.begin() as session:
        result = session.execute(
            update(Disposal).where(Disposal.id == disposal_id,
                                   Disposal.state.in_((APPROVED, RUNNING)))
            .values(state=RUNNING, failed=[]))
        if getattr(result, "rowcount", 0) != 1:
            return False
        disposal = session.get_one(Disposal, disposal_id)
        if disposal.started_at is None:
            disposal.started_at = utcnow()
        append_event(session, rt.audit_mac, actor=SYSTEM_ACTOR, action="disposal.started",
                     object_type=OBJECT_TYPE, object_id=disposal_id,
                     details={"total": disposal.total, "erased": disposal.erased})
        return True


SYSTEM_ACTOR = "system:disposal"


def _completed_ids(session: Session, ids: Sequence[str]) -> set[str]:
    return {i for chunk in _chunks(ids) for i in session.execute(
        select(Erasure.document_id).where(Erasure.document_id.in_(chunk),
                                          Erasure.state == COMPLETED)).scalars()}


def _prepare(rt: Runtime, disposal_id: str) -> _Run:
    with rt.sessions() as session:
        disposal = session.get_one(Disposal, disposal_id)
        requester = session.get_one(User, disposal.requested_by_id)
        approver = approver_of(session, disposal)
        witness = session.get(User, disposal.witness_id) if disposal.witness_id else None
        request = EraseRequest.by(requester, approver=approver.name if approver else None,
                                  witness=witness.name if witness else None,
                                  reason=f"{disposal.reason} (disposal {disposal.id})")
        ids = list(disposal.document_ids)
        done = _completed_ids(session, ids)
        return _Run(disposal_id, request, [i for i in ids if i not in done], len(done))


def run_disposal(rt: Runtime, disposal_id: str, *, batch_size: int = BATCH_SIZE,
                 stop_after_batches: int | None = None,
                 signer: RecordSigner | None = None) -> str:
    """Run (or resume) a disposal; returns its state, "skipped" when it is not runnable, or
    "interrupted" after ``stop_after_batches`` batches (tests and the bench simulate a kill)."""
    if not claim(rt, disposal_id):
        return "skipped"
    signer = signer or default_record_signer(rt)  # before anything is destroyed
    run = _prepare(rt, disposal_id)
    for number, at in enumerate(range(0, len(run.remaining), batch_size)):
        if stop_after_batches is not None and number >= stop_after_batches:
            return "interrupted"
        batch = run.remaining[at:at + batch_size]
        done, failed = _erase_batch(rt, batch, run.request, signer)
        run.erased += len(done)
        run.failed += failed
        _record_progress(rt, run, len(batch))
    return _finish(rt, run)


def _erase_batch(rt: Runtime, batch: list[str], request: EraseRequest,
                 signer: RecordSigner) -> tuple[list[str], list[dict[str, Any]]]:
    """One destroy transaction, checkpoint and scan for the batch; on any error each document
    is erased alone so that one bad document names itself and does not stop the others."""
    with rt.sessions() as session:
        docs = list(session.execute(select(Document).where(Document.id.in_(batch))).scalars())
        # Re-checked at execution: a hold or an export may have come after the approval.
        refused = {i: r["reason"] for r in refusals(session, docs) for i in r["document_ids"]}
    failed = [{"document_id": i, "error": code, "message": f"not erased: {code}"}
              for i, code in refused.items()]
    todo = [i for i in batch if i not in refused]
    if not todo:
        return [], failed
    try:
        erased = erase_documents(rt, todo, request, signer)
        return [e.document_id for e in erased if e.state == COMPLETED], failed
    except Exception as error:
        log.warning("a disposal batch failed (%s); erasing its documents one by one", error)
    done = []
    for doc_id in todo:
        try:
            erase_document(rt, doc_id, request, signer)
            done.append(doc_id)
        except Exception as error:  # recorded per document, never a trace to the client
            code = error.code if isinstance(error, SekishoError) else "erasure_error"
            message = error.message if isinstance(error, SekishoError) else "erase failed"
            if not isinstance(error, SekishoError):
                log.exception("erasing document %s failed unexpectedly", doc_id)
            failed.append({"document_id": doc_id, "error": code, "message": message})
    return done, failed


def _record_progress(rt: Runtime, run: _Run, batch_len: int) -> None:
    """Commit the progress of one batch (GET shows it; the event is the run's heartbeat)."""
    with rt.sessions.begin() as session:
        disposal = session.get_one(Disposal, run.disposal_id)
        disposal.erased, disposal.failed = run.erased, list(run.failed)
        append_event(session, rt.audit_mac, actor=SYSTEM_ACTOR, action="disposal.progress",
                     object_type=OBJECT_TYPE, object_id=run.disposal_id,
                     details={"batch": batch_len, "erased": run.erased,
                              "failed": len(run.failed), "total": disposal.total})


def _finish(rt: Runtime, run: _Run) -> str:
    with rt.sessions.begin() as session:
        disposal = session.get_one(Disposal, run.disposal_id, with_for_update=True)
        erased = len(_completed_ids(session, disposal.document_ids))
        failed = [f for f in run.failed if f["document_id"] not in
                  _completed_ids(session, [f["document_id"] for f in run.failed])]
        disposal.erased, disposal.failed = erased, failed
        disposal.state = DONE if erased == disposal.total and not failed else FAILED
        disposal.completed_at = utcnow()
        append_event(session, rt.audit_mac, actor=SYSTEM_ACTOR,
                     action=f"disposal.{disposal.state}", object_type=OBJECT_TYPE,
                     object_id=disposal.id,
                     details={"erased": erased, "total": disposal.total,
                              "failed": [f["document_id"] for f in failed][:100]})
        return disposal.state


# -- recovery -----------------------------------------------------------------------------


def _last_activity(session: Session, disposal_id: str) -> datetime | None:
    ts = session.execute(select(AuditEvent.ts).where(
        AuditEvent.object_type == OBJECT_TYPE, AuditEvent.object_id == disposal_id)
        .order_by(AuditEvent.seq.desc()).limit(1)).scalar_one_or_none()
    if ts is None:
        return None
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).replace(tzinfo=None)


def stalled_disposals(session: Session, now: datetime, lease_seconds: int) -> list[str]:
    """Approved ones whose message was lost, running ones whose worker died: nothing recorded
    about them (the per-batch progress event is the heartbeat) for a lease."""
    cutoff = now - timedelta(seconds=lease_seconds)
    ids = session.execute(select(Disposal.id).where(
        Disposal.state.in_((APPROVED, RUNNING)))).scalars().all()
    return [i for i in ids if (_last_activity(session, i) or cutoff) <= cutoff]


def sweep_disposals(rt: Runtime, enqueue: Callable[[str], None] | None = None,
                    *, lease_seconds: int | None = None) -> list[str]:
    """Re-queue stalled disposals (for the worker's sweeper and ``sekisho jobs resume``)."""
    send = enqueue or (lambda i: enqueue_disposal(rt.settings, i))
    with rt.sessions() as session:
        ids = stalled_disposals(session, utcnow(),
                                lease_seconds if lease_seconds is not None
                                else rt.settings.job_lease_seconds)
    for disposal_id in ids:
        with rt.sessions.begin() as session:
            append_event(session, rt.audit_mac, actor=SYSTEM_ACTOR, action="disposal.requeued",
                         object_type=OBJECT_TYPE, object_id=disposal_id, details={})
        send(disposal_id)
    return ids


# -- reading ------------------------------------------------------------------------------


def erasures_of(session: Session, ids: Iterable[str]) -> list[Erasure]:
    wanted = list(ids)
    order = {d: n for n, d in enumerate(wanted)}
    found = [e for chunk in _chunks(wanted) for e in session.execute(
        select(Erasure).where(Erasure.document_id.in_(chunk))).scalars()]
    return sorted(found, key=lambda e: order[e.document_id])


def erasure_refs(session: Session, ids: Sequence[str]) -> list[tuple[str, str, str]]:
    """(document id, erasure id, state) of each erasure, without the record bytes (GET of a
    10,000-document disposal stays small)."""
    order = {d: n for n, d in enumerate(ids)}
    rows = [(str(d), str(e), str(s)) for chunk in _chunks(ids) for d, e, s in session.execute(
        select(Erasure.document_id, Erasure.id, Erasure.state)
        .where(Erasure.document_id.in_(chunk))).all()]
    return sorted(rows, key=lambda row: order[row[0]])


def _run_in_worker(disposal_id: str) -> str:
    """The worker's entry point (registered on import: service.tasks imports this module)."""
    from service.tasks import worker_runtime

    return run_disposal(worker_runtime(), disposal_id)


run_disposal_task = shared_task(name=DISPOSAL_TASK, acks_late=True)(_run_in_worker)
