"""The resumable execution of a disposal by the worker (``DISPOSAL_TASK``; service.disposals):
batches through service.erasure (one signed record per document), the progress committed
after each batch. A rerun erases only what has no completed record yet (erase_documents
finishes pending erases), and ``sweep_disposals`` re-queues the stalled ones."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.errors import SekishoError
from service.audit import append_event
from service.db import utcnow
from service.disposal_approval import approver_of
from service.disposal_queue import enqueue_disposal
from service.disposal_request import in_chunks, refusals
from service.disposal_states import (
    APPROVED,
    BATCH_SIZE,
    DISPOSAL_TASK,
    DONE,
    FAILED,
    OBJECT_TYPE,
    RUNNING,
    SYSTEM_ACTOR,
)
from service.erasure import (
    COMPLETED,
    EraseRequest,
    RecordSigner,
    default_record_signer,
    erase_document,
    erase_documents,
)
from service.models import AuditEvent, Disposal, Document, Erasure, User
from service.runtime import Runtime

log = logging.getLogger("sekisho.disposals")


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


def _completed_ids(session: Session, ids: Sequence[str]) -> set[str]:
    return {i for chunk in in_chunks(ids) for i in session.execute(
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


def _run_in_worker(disposal_id: str) -> str:
    """The worker's entry point (registered on import: service.tasks imports service.disposals,
    which imports this module)."""
    from service.tasks import worker_runtime

    return run_disposal(worker_runtime(), disposal_id)


run_disposal_task = shared_task(name=DISPOSAL_TASK, acks_late=True)(_run_in_worker)
