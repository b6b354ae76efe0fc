"""Celery configuration and the producer side: the API and CLI send job ids through here.

Default broker: ``filesystem://`` inside the data directory (no server needed); Redis (or any
Celery broker) through ``SEKISHO_BROKER_URL``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from celery import Celery

from core.settings import Settings
from service.fsbroker import TRANSPORT_PATH

PROCESS_TASK = "sekisho.process_job"
QUEUE = "sekisho"
FILESYSTEM_POLL_SECONDS = 0.05


def celery_config(settings: Settings) -> dict[str, Any]:
    config: dict[str, Any] = {
        "broker_url": settings.broker_url,
        "task_default_queue": QUEUE,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "result_backend": None,
        # A killed worker's message comes back where the broker supports it; the lease
        # sweeper (service.tasks) covers brokers that drop unacknowledged messages.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
    }
    if settings.uses_filesystem_broker:
        # kombu's own filesystem transport can hand a half-written message to the worker
        # and stop it; see service.fsbroker.
        config["broker_transport"] = TRANSPORT_PATH
        folder = str(settings.broker_dir / "messages")
        config["broker_transport_options"] = {
            "data_folder_in": folder,
            "data_folder_out": folder,
            "processed_folder": str(settings.broker_dir / "processed"),
            # kombu's default control folder is ./control in the working directory.
            "control_folder": str(settings.broker_dir / "control"),
            "store_processed": False,  # claimed messages are deleted once read
            "polling_interval": FILESYSTEM_POLL_SECONDS,
        }
    return config


@lru_cache(maxsize=8)
def celery_for(settings: Settings) -> Celery:
    app = Celery("sekisho")
    app.conf.update(celery_config(settings))
    return app


def enqueue(settings: Settings, job_id: str) -> None:
    """Send a job id (never content) to the workers."""
    celery_for(settings).send_task(PROCESS_TASK, args=[job_id], queue=QUEUE)
