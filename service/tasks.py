"""The worker side of the queue: the task, and the sweeper that recovers stalled jobs.

Tasks take a job id only and are idempotent (see service.jobs). A sweeper thread in every
worker re-queues jobs whose worker died (lease expired) or whose message was lost, so a kill
mid-job never loses a document.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery.signals import worker_ready, worker_shutting_down

from core.settings import load_settings
from service.approvals import expire_overdue
from service.disposals import enqueue_disposal, sweep_disposals
from service.exports import erase_expired_exports
from service.jobs import run_job, sweep_stalled
from service.queue import PROCESS_TASK, celery_for, enqueue
from service.runtime import Runtime, build_runtime

log = logging.getLogger("sekisho.tasks")
MIN_SWEEP_SECONDS, MAX_SWEEP_SECONDS = 1.0, 30.0

_settings = load_settings()
celery_app = celery_for(_settings)
_runtime: Runtime | None = None
_stop = threading.Event()


def worker_runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = build_runtime(_settings)
    return _runtime


def _enqueue(job_id: str) -> None:
    enqueue(_settings, job_id)


@celery_app.task(name=PROCESS_TASK, acks_late=True)
def process_job(job_id: str) -> str:
    return run_job(worker_runtime(), job_id)


def _sweep_forever(rt: Runtime) -> None:
    interval = min(MAX_SWEEP_SECONDS, max(MIN_SWEEP_SECONDS, rt.settings.job_lease_seconds / 2))
    while not _stop.is_set():
        try:
            ids = sweep_stalled(rt, _enqueue)
            if ids:
                log.warning("re-queued %d stalled job(s)", len(ids))
            # Disposals whose worker died halfway resume here (issue 6, item 5).
            disposals = sweep_disposals(rt, lambda i: enqueue_disposal(rt.settings, i))
            if disposals:
                log.warning("re-queued %d stalled disposal(s)", len(disposals))
            # 読後廃棄 deadlines pass without anyone asking: erase those packages now.
            erase_expired_exports(rt)
            # Approvals expire on their own; what waited on them (exports, disposals) ends.
            with rt.sessions.begin() as session:
                expire_overdue(session, rt.audit_mac)
        except Exception:
            log.exception("stalled-job sweep failed; trying again")
        _stop.wait(interval)


@worker_ready.connect
def _start_sweeper(**_: Any) -> None:
    threading.Thread(target=_sweep_forever, args=(worker_runtime(),),
                     name="sekisho-sweeper", daemon=True).start()


@worker_shutting_down.connect
def _stop_sweeper(**_: Any) -> None:
    _stop.set()
