"""Decisions in worker processes, so that concurrent messages use every core.

One milter process serves every SMTP connection on threads, and a decision is CPU-bound
Python (classify, sanitise, label): under one interpreter lock two concurrent messages take
twice as long each (bench.mail). The milter therefore hands each decision to a pool of
worker processes, each with its own Runtime built from the same ``SEKISHO_*`` settings.

Failure stays closed (issue 7, item 5): a worker that dies breaks the pool, the waiting
message gets an exception and so a 451 (service.milter_policy.decide_in_time), and the next
message gets a fresh pool. A decision that outlives its timeout keeps its worker busy until
the sanitiser's own limits stop it; the message has already been answered 451.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from service.mail.result import Envelope, MailResult
    from service.runtime import Runtime

_worker_runtime: Runtime | None = None


def _start_worker(milter_pid: int) -> None:
    """Everything a first decision would otherwise pay for (seconds): the runtime, the
    decision modules and the sanitiser's own fork server."""
    global _worker_runtime
    threading.Thread(target=_exit_with, args=(milter_pid,), name="milter-watch",
                     daemon=True).start()
    from handlers.isolation import run_isolated
    from service.mail import inbound, outbound  # noqa: F401
    from service.runtime import build_runtime

    _worker_runtime = build_runtime()
    run_isolated(os.getpid)


def _exit_with(milter_pid: int) -> None:
    """End this worker when the milter process is gone, however it went (SIGKILL included).

    A worker's parent is the pool's fork server, not the milter, and the pool's call queue
    is a pipe whose write end every worker holds too: nothing else tells a worker that the
    milter died, and it (with the sanitiser's fork server it started) would wait forever.
    Nothing is lost: a decision in flight belonged to a message the MTA keeps (fail closed)."""
    import select
    import time

    try:
        watched = os.pidfd_open(milter_pid)
    except (AttributeError, OSError):  # no pidfd (old kernel): look once a second
        while _alive(milter_pid):
            time.sleep(1.0)
        os._exit(0)
    select.select([watched], [], [])  # readable once the process has exited
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else: not ours, but alive
        return True
    return True


def _started(pause: float) -> int:
    import time

    time.sleep(pause)  # held briefly, so that each start task lands on a worker of its own
    return os.getpid()


def _decide(direction: str, raw: bytes, envelope: Envelope) -> MailResult:
    """Runs in a worker: the same code the milter would run on its own thread."""
    from service.milter import load_decider

    if _worker_runtime is None:
        raise RuntimeError("the decision worker has no runtime")
    return load_decider(direction)(_worker_runtime, raw, envelope)


class DecisionPool:
    """``decider(direction)`` gives a Decider that runs in the pool."""

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # forkserver: workers start from a clean interpreter, never from a fork of
                # the threaded libmilter process.
                self._pool = ProcessPoolExecutor(
                    self._workers, mp_context=multiprocessing.get_context("forkserver"),
                    initializer=_start_worker, initargs=(os.getpid(),))
            return self._pool

    def _discard(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)

    def start(self) -> int:
        """Start and warm every worker now, before the first message waits for one."""
        pool = self._executor()
        futures = [pool.submit(_started, 0.5) for _ in range(self._workers)]
        return len({f.result() for f in futures})

    def run(self, direction: str, raw: bytes, envelope: Envelope) -> MailResult:
        pool = self._executor()
        try:
            result: MailResult = pool.submit(_decide, direction, raw, envelope).result()
            return result
        except BrokenProcessPool:
            self._discard(pool)  # this message fails closed; the next one gets a new pool
            raise

    def decider(self, direction: str) -> Any:
        def decide(_rt: Runtime, raw: bytes, envelope: Envelope) -> MailResult:
            return self.run(direction, raw, envelope)
        return decide

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
