"""Cleaning in a child process with memory and CPU limits and a timeout (issue 4, item 8).

A hostile file may fail its own job but must not take the worker down: a parser bug that
loops, eats memory or crashes the interpreter (pikepdf and Pillow are C/C++) happens in a
child. Children come from a ``forkserver`` whose process has the handler modules already
imported, so each job forks a warm interpreter in milliseconds instead of starting Python.
The child sets its own ``RLIMIT_AS`` and ``RLIMIT_CPU`` before it touches the data; the
parent waits at most ``timeout`` seconds and kills it after.

Data crosses in memory over a pipe (never a temporary file: no plaintext at rest). Errors
come back as (module, class, code, message) and are raised again in the parent as the same
class, so callers see the same stable codes as without isolation.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import os
import resource
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar, cast

from core.errors import (
    ContentRejected,
    ProcessingTimeout,
    ResourceLimitExceeded,
    SekishoError,
)

T = TypeVar("T")
log = logging.getLogger("sekisho.isolation")

#: Address space of a cleaning child: pikepdf and Pillow on a 200 MB PDF stay well below.
DEFAULT_MEMORY_BYTES = 3 * 1024**3
DEFAULT_CPU_SECONDS = 120
DEFAULT_TIMEOUT_SECONDS = 180.0
#: Modules the fork server imports once, so that children start warm.
PRELOAD = ["handlers.warmup"]


class ProcessingFailed(ContentRejected):
    """The child died without an answer (a crash in a parser's native code)."""

    code = "processing_failed"
    default_message = "the file could not be processed"


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = DEFAULT_MEMORY_BYTES
    cpu_seconds: int = DEFAULT_CPU_SECONDS
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


DEFAULT_LIMITS = Limits()
_context: Any = None


def _fork_server() -> Any:
    global _context
    if _context is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        _context = context
    return _context


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start children without telling them the parent's ``__main__``.

    multiprocessing re-imports the parent's main module in every child it prepares (as
    ``__mp_main__``). Under ``sekisho worker`` or ``sekisho milter`` that is the whole command
    line with Flask and SQLAlchemy, about 2 s per cleaned file (measured by bench.mail). What
    a child runs lives in handlers, never in ``__main__``, so the children are told nothing
    about it. The lock keeps two threads from restoring each other's half-hidden state."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    with _MAIN_LOCK:
        spec, had_file = getattr(main, "__spec__", None), "__file__" in main.__dict__
        file = main.__dict__.pop("__file__", None)
        main.__spec__ = None
        try:
            yield
        finally:
            main.__spec__ = spec
            if had_file:
                main.__dict__["__file__"] = file


def run_isolated(function: Callable[..., T], *args: Any, limits: Limits = DEFAULT_LIMITS) -> T:
    """``function(*args)`` in a limited child; its result, or its error raised here."""
    receiver, sender = _fork_server().Pipe(duplex=False)
    child = _fork_server().Process(target=_child_main, args=(sender, limits, function, args),
                                   daemon=True)
    with _main_module_hidden():
        child.start()
    sender.close()
    try:
        outcome = _receive(receiver, child, limits.timeout_seconds)
    finally:
        receiver.close()
        _reap(child)
    return cast(T, _unpack(outcome, child.exitcode))


def _receive(receiver: Connection, child: Any, timeout: float) -> Any:
    if not receiver.poll(timeout):
        if child.is_alive():
            child.kill()
            raise ProcessingTimeout(f"cleaning took longer than {timeout:g} s")
        return None
    try:
        return receiver.recv()
    except (EOFError, OSError):
        return None  # died mid-answer: judged by its exit code below


def _reap(child: Any) -> None:
    child.join(5)
    if child.is_alive():
        child.kill()
        child.join(5)


def _unpack(outcome: Any, exitcode: int | None) -> Any:
    if isinstance(outcome, tuple) and len(outcome) == 2 and outcome[0] == "ok":
        return outcome[1]
    if isinstance(outcome, tuple) and len(outcome) == 5 and outcome[0] == "error":
        raise _rebuild_error(*outcome[1:])
    if exitcode is not None and -exitcode in (signal.SIGXCPU, signal.SIGKILL):
        raise ResourceLimitExceeded("the cleaning process ran out of CPU time")
    raise ProcessingFailed(f"the cleaning process ended without an answer (exit {exitcode})")


def _rebuild_error(module: str, name: str, code: str, message: str) -> SekishoError:
    """The child's error as the same class; only our own error classes are rebuilt (the
    child handled hostile bytes, so what it sends is not trusted to name arbitrary code)."""
    error_class: Any = SekishoError
    if module.split(".")[0] in ("core", "handlers"):
        try:
            candidate = getattr(importlib.import_module(module), name, None)
        except ImportError:
            candidate = None
        if isinstance(candidate, type) and issubclass(candidate, SekishoError):
            error_class = candidate
    if error_class is SekishoError:
        return ProcessingFailed(message, code=code)
    error: SekishoError = error_class.__new__(error_class)
    SekishoError.__init__(error, message, code=code)
    return error


def _child_main(sender: Connection, limits: Limits, function: Callable[..., Any],
                args: tuple[Any, ...]) -> None:
    _apply_limits(limits)
    try:
        outcome: tuple[Any, ...] = ("ok", function(*args))
    except SekishoError as exc:
        outcome = ("error", type(exc).__module__, type(exc).__qualname__, exc.code, exc.message)
    except MemoryError:
        outcome = ("error", "core.errors", "ResourceLimitExceeded", "resource_limit_exceeded",
                   "cleaning needed more memory than allowed")
    except Exception as exc:  # a parser bug: the type name only, never the content
        # The trace goes to the worker's log (as for any unexpected stage error), not to
        # the document or the client.
        log.exception("cleaning failed unexpectedly in the isolated child")
        outcome = ("error", "handlers.isolation", "ProcessingFailed", "processing_failed",
                   f"the file could not be processed ({type(exc).__name__})")
    sender.send(outcome)
    sender.close()
    os._exit(0)  # no atexit handlers or inherited cleanup in a forked child


def _apply_limits(limits: Limits) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core dump full of plaintext
