"""The milter's listening socket, tuned once libmilter has opened it.

libmilter opens the socket itself (``smfi_opensocket``), so the tuning happens right after
``opensocket`` returns, on the socket found among this process's file descriptors:

- ``inet:``: TCP_NODELAY (accepted connections inherit it). The milter protocol is many
  small messages each way (a header, a body chunk, a reply); with Nagle's algorithm a small
  write waits for the peer's delayed ACK. bench.mail measured about 90 ms per message
  added that way on an ``inet:`` socket, and none on a ``unix:`` one.
- ``unix:``: the permissions the deployment chose (``--socket-mode``), since libmilter
  creates the file with whatever the process umask gives: the MTA's user (Postfix's
  smtpd runs as ``postfix``) must be able to connect, and nobody else should.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from typing import Any

from core.errors import ConfigurationError

DEFAULT_SOCKET_MODE = 0o660


def socket_mode(text: str | None) -> int:
    """``--socket-mode`` / SEKISHO_MILTER_SOCKET_MODE as an octal permission."""
    if not text:
        return DEFAULT_SOCKET_MODE
    try:
        mode = int(text, 8)
    except ValueError as exc:
        raise ConfigurationError(f"the milter socket mode {text!r} is not octal "
                                 "(e.g. 0660)") from exc
    if not 0 <= mode <= 0o777:
        raise ConfigurationError(f"the milter socket mode {text!r} is not a permission")
    return mode


@contextlib.contextmanager
def tuned_listener(Milter: Any, spec: str, mode: int) -> Iterator[None]:
    """While libmilter runs (``Milter.runmilter``), tune the socket it opens."""
    library = Milter.milter
    original = library.opensocket

    def opensocket(*args: Any) -> Any:
        opened = original(*args)
        for fd in _listening_sockets(socket.AF_INET, socket.AF_INET6):
            with socket.socket(fileno=os.dup(fd)) as listener:
                listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        path = _unix_path(spec)
        if path is not None:
            os.chmod(path, mode)
        return opened

    library.opensocket = opensocket
    try:
        yield
    finally:
        library.opensocket = original


def _unix_path(spec: str) -> str | None:
    kind, _, rest = spec.partition(":")
    return rest if kind in ("unix", "local") and rest else None


def _listening_sockets(*families: int) -> list[int]:
    found = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            with socket.socket(fileno=os.dup(fd)) as sock:
                if (sock.family in families and sock.type == socket.SOCK_STREAM
                        and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)):
                    found.append(fd)
        except OSError:  # not a socket (or already closed)
            continue
    return found
