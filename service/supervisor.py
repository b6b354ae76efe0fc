"""``sekisho serve``: gunicorn plus an embedded Celery worker, supervised as child processes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType

from core.settings import Settings

STOP_GRACE_SECONDS = 10.0
POLL_SECONDS = 0.5


def gunicorn_command(settings: Settings, bind: str) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "--bind", bind,
            "--workers", str(settings.web_workers), "--access-logfile", "-",
            "--timeout", "120", "--config", "python:service.gunicorn_conf", "service.wsgi:app"]


def worker_command(concurrency: int = 1) -> list[str]:
    return [sys.executable, "-m", "service.cli", "worker", "--concurrency", str(concurrency)]


def run_worker(concurrency: int = 1) -> int:
    from core.settings import load_settings
    from service.drivers import require_drivers
    from service.queue import QUEUE

    require_drivers(load_settings())
    from service.tasks import celery_app

    # solo runs tasks in the worker process itself: the simplest thing for one embedded worker.
    pool = ["--pool=solo", "-c1"] if concurrency <= 1 else ["--pool=prefork", f"-c{concurrency}"]
    # Workers coordinate through the database (job leases), not through Celery's broadcast
    # features, which also slow start-up and shutdown on the filesystem broker.
    celery_app.worker_main(["worker", "--loglevel=INFO", "-Q", QUEUE, "-n", "sekisho@%h",
                            "--without-mingle", "--without-gossip", "--without-heartbeat",
                            *pool])
    return 0


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()


def serve(settings: Settings, *, bind: str, with_worker: bool) -> int:
    children = [subprocess.Popen(gunicorn_command(settings, bind))]
    if with_worker:
        children.append(subprocess.Popen(worker_command()))
    print(f"sekisho: serving on http://{bind}  (API page: http://{bind}/v1/docs)", flush=True)
    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stopping and all(c.poll() is None for c in children):
        time.sleep(POLL_SECONDS)
    failed = [c for c in children if c.poll() not in (None, 0)]
    _stop(children)
    return 1 if failed and not stopping else 0
