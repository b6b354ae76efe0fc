"""Queueing a disposal (service.disposals): its id, never content, goes to the workers once
the state that lets it run is committed."""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from core.settings import Settings, load_settings
from service.audit import Mac
from service.disposal_states import DISPOSAL_TASK
from service.queue import QUEUE, celery_for

log = logging.getLogger("sekisho.disposals")


def enqueue_disposal(settings: Settings, disposal_id: str) -> None:
    """Send the disposal id (never content) to the workers."""
    celery_for(settings).send_task(DISPOSAL_TASK, args=[disposal_id], queue=QUEUE)


def _current_settings() -> Settings:
    from flask import has_app_context

    if has_app_context():
        from service.runtime import runtime

        return runtime().settings
    return load_settings()


def mac_of(session: Session) -> Mac:
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
