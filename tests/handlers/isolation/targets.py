"""Functions the isolation tests run in a child (module level: the child imports them)."""

from __future__ import annotations

import ctypes
import time

from handlers.limits import TooManyPages


def echo(value: bytes) -> bytes:
    return value[::-1]


def sleep_forever() -> None:
    time.sleep(3600)


def spin_forever() -> None:
    while True:
        pass


def allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def refuse() -> None:
    raise TooManyPages("9999 pages")


def crash_natively() -> None:
    ctypes.string_at(0)  # SIGSEGV inside C code, as a parser bug would


def fail_unexpectedly() -> None:
    raise KeyError("a parser bug, not a content error: SECRET-CONTENT-9f2")
