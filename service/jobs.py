"""Job orchestration: claim with a lease, run stages with checkpoints, fail cleanly, recover.

Tasks carry only a job id. A job is claimed by a conditional UPDATE (queued, or running with
an expired lease), so duplicate deliveries are harmless; each finished stage is committed with
the job's ``stages_done`` so a killed worker's job resumes at the stage it was in.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core.errors import MalwareDetected, SekishoError
from core.states import (
    DOC_FAILED,
    DOC_PROCESSED,
    DOC_PROCESSING,
    DOC_QUARANTINED,
    DOC_RECEIVED,
    JOB_FAILED,
    JOB_QUEUED,
    JOB_RUNNING,
    JOB_SUCCEEDED,
    STAGE_LABEL,
    STAGES,
)
from service.audit import append_event
from service.classification import PERSON_SOURCES
from service.db import utcnow
from service.models import Document, Job
from service.pipeline import STAGE_FUNCTIONS, DocSnapshot, StageInput, StageOutput
from service.runtime import Runtime
from service.versions import read_version, replace_version

log = logging.getLogger("sekisho.jobs")
SYSTEM_ACTOR = "system:pipeline"
MAX_LABEL_PASSES = 3


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def new_job(session: Session, document_id: str, *, kind: str = "process",
            stages_done: list[str] | None = None) -> Job:
    done = list(stages_done or [])
    job = Job(id=str(uuid.uuid4()), document_id=document_id, kind=kind, state=JOB_QUEUED,
              stages_done=done, progress=round(100 * len(done) / len(STAGES)), attempts=0)
    session.add(job)
    return job


def label_is_stale(doc: Document) -> bool:
    """A person's decision arrived after the label stage wrote the file."""
    written = (doc.report or {}).get(STAGE_LABEL, {}).get("label")
    return doc.label_source in PERSON_SOURCES and written != doc.label


def claim(rt: Runtime, job_id: str, worker: str) -> bool:
    now = utcnow()
    with rt.sessions.begin() as session:
        result = session.execute(
            update(Job)
            .where(Job.id == job_id)
            .where(or_(Job.state == JOB_QUEUED,
                       (Job.state == JOB_RUNNING) & (Job.lease_until < now)))
            .values(state=JOB_RUNNING, worker=worker, attempts=Job.attempts + 1,
                    lease_until=now + timedelta(seconds=rt.settings.job_lease_seconds),
                    started_at=now, updated_at=now)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


def _snapshot(rt: Runtime, job_id: str, stage: str) -> tuple[DocSnapshot, list[str]]:
    with rt.sessions.begin() as session:
        job = session.get_one(Job, job_id)
        doc = session.get_one(Document, job.document_id)
        job.stage = stage
        job.lease_until = utcnow() + timedelta(seconds=rt.settings.job_lease_seconds)
        job.updated_at = utcnow()
        if doc.state != DOC_PROCESSING:
            doc.state = DOC_PROCESSING
        parent = session.get(Document, doc.parent_id) if doc.parent_id else None
        snap = DocSnapshot(doc.id, doc.filename, doc.detected_type, doc.profile,
                           dict(doc.report or {}), doc.label, doc.label_source,
                           doc.direction or "outbound", doc.sanitised_type,
                           parent.label or parent.floor if parent else None)
        return snap, list(job.stages_done or [])


def _loader(rt: Runtime, document_id: str) -> Callable[[str], bytes]:
    def load(kind: str) -> bytes:
        with rt.sessions() as session:
            return read_version(session, rt.blobs, document_id, kind)

    return load


def _apply(rt: Runtime, job_id: str, stage: str, out: StageOutput) -> None:
    with rt.sessions.begin() as session:
        job = session.get_one(Job, job_id)
        doc = session.get_one(Document, job.document_id)
        for kind, data in out.versions.items():
            replace_version(session, rt.blobs, doc.id, kind, data,
                            out.version_types.get(kind, doc.detected_type))
        for name, value in out.doc_updates.items():
            setattr(doc, name, value)
        kept = [f for f in doc.findings or [] if f.get("stage") != stage]
        doc.findings = kept + [{**f, "stage": stage} for f in out.findings]
        doc.report = {**(doc.report or {}), stage: out.report}
        job.stages_done = [*job.stages_done, stage]
        job.progress = round(100 * len(job.stages_done) / len(STAGES))
        job.updated_at = utcnow()
        append_event(session, rt.audit_mac, actor=SYSTEM_ACTOR, action=f"document.{stage}",
                     object_type="document", object_id=doc.id,
                     details={"job": job_id, "findings": len(out.findings)})


def _finish(rt: Runtime, job_id: str) -> bool:
    """Close the job, unless a decision came in meanwhile: then the label stage runs again.
    The document row is locked so a concurrent proposal sees either this job active (and is
    picked up here) or finished (and queues its own relabel job)."""
    with rt.sessions.begin() as session:
        job = session.get_one(Job, job_id)
        doc = session.get_one(Document, job.document_id, with_for_update=True)
        if label_is_stale(doc):
            job.stages_done = [s for s in job.stages_done if s != STAGE_LABEL]
            return False
        job.state, job.stage, job.progress = JOB_SUCCEEDED, None, 100
        job.finished_at = job.updated_at = utcnow()
        job.lease_until = None
        doc.state, doc.error_code, doc.error_message = DOC_PROCESSED, None, None
        append_event(session, rt.audit_mac, actor=SYSTEM_ACTOR, action="document.processed",
                     object_type="document", object_id=doc.id,
                     details={"job": job_id, "label": doc.label})
        return True


def fail(rt: Runtime, job_id: str, code: str, message: str, *,
         doc_state: str = DOC_FAILED) -> None:
    """End the job as failed; the document becomes ``doc_state`` (failed, or quarantined
    when the malware scanner reported it: then it can be neither retried nor released)."""
    with rt.sessions.begin() as session:
        job = session.get_one(Job, job_id)
        doc = session.get_one(Document, job.document_id)
        job.state, job.error_code, job.error_message = JOB_FAILED, code, message
        job.finished_at = job.updated_at = utcnow()
        job.lease_until = None
        doc.state, doc.error_code, doc.error_message = doc_state, code, message
        action = "document.quarantined" if doc_state == DOC_QUARANTINED else "document.failed"
        append_event(session, rt.audit_mac, actor=SYSTEM_ACTOR, action=action,
                     object_type="document", object_id=doc.id,
                     details={"job": job_id, "stage": job.stage, "error": code})


def run_job(rt: Runtime, job_id: str, worker: str | None = None) -> str:
    """Run (or resume) a job; returns its final state, or 'skipped' if another holds it."""
    rt.refresh_withdrawals()  # 危殆化: a withdrawal made since the worker started applies
    if not claim(rt, job_id, worker or worker_name()):
        return "skipped"
    for _ in range(MAX_LABEL_PASSES):
        for stage in STAGES:
            snap, done = _snapshot(rt, job_id, stage)
            if stage in done:
                continue
            failure = _run_stage(rt, job_id, stage, snap)
            if failure is not None:
                return failure
        if _finish(rt, job_id):
            return JOB_SUCCEEDED
    fail(rt, job_id, "label_not_settled", "the label kept changing while the file was labelled")
    return JOB_FAILED


def _run_stage(rt: Runtime, job_id: str, stage: str, snap: DocSnapshot) -> str | None:
    if rt.settings.debug_stage_delay_seconds:
        time.sleep(rt.settings.debug_stage_delay_seconds)
    try:
        out = STAGE_FUNCTIONS[stage](StageInput(rt, snap, _loader(rt, snap.id)))
        _apply(rt, job_id, stage, out)
    except MalwareDetected as exc:
        fail(rt, job_id, exc.code, exc.message, doc_state=DOC_QUARANTINED)
        return JOB_FAILED
    except SekishoError as exc:
        fail(rt, job_id, exc.code, exc.message)
        return JOB_FAILED
    except Exception:
        # The trace goes to the worker log, never into the document or to a client.
        log.exception("stage %s of job %s failed unexpectedly", stage, job_id)
        fail(rt, job_id, "processing_error", f"the {stage} stage failed unexpectedly")
        return JOB_FAILED
    return None


def stalled_jobs(session: Session, now: Any, lease_seconds: int) -> list[str]:
    """Jobs whose worker died (lease expired) or whose message was lost (queued too long)."""
    queued_before = now - timedelta(seconds=lease_seconds)
    rows = session.execute(
        select(Job.id).where(or_(
            (Job.state == JOB_RUNNING) & (Job.lease_until < now),
            (Job.state == JOB_QUEUED) & (Job.updated_at < queued_before),
        ))
    ).scalars().all()
    return list(rows)


def requeue(rt: Runtime, job_ids: list[str], enqueue: Callable[[str], None]) -> None:
    for job_id in job_ids:
        with rt.sessions.begin() as session:
            job = session.get_one(Job, job_id)
            job.updated_at = utcnow()
            if job.state == JOB_FAILED:
                # A retry after a failure: the completed stages stay done (checkpoints).
                doc = session.get_one(Document, job.document_id)
                job.state, job.error_code, job.error_message = JOB_QUEUED, None, None
                doc.state, doc.error_code, doc.error_message = DOC_RECEIVED, None, None
            append_event(session, rt.audit_mac, actor=SYSTEM_ACTOR, action="job.requeued",
                         object_type="document", object_id=job.document_id,
                         details={"job": job_id, "state": job.state})
        enqueue(job_id)


def sweep_stalled(rt: Runtime, enqueue: Callable[[str], None]) -> list[str]:
    with rt.sessions() as session:
        ids = stalled_jobs(session, utcnow(), rt.settings.job_lease_seconds)
    requeue(rt, ids, enqueue)
    return ids
