"""Length-prefixed frames over a child's pipes, with a deadline on every exchange.

A hung LibreOffice must not hang the worker: every write and read waits in ``select`` until
a deadline, so the converter can kill the child and report a timeout instead of blocking
forever on a full pipe or a silent one.
"""

from __future__ import annotations

import os
import selectors
import struct
import time
from typing import IO

_HEADER = struct.Struct(">I")
_CHUNK = 1 << 20


class ChannelClosed(Exception):
    """The child closed its end (it died or refused the request)."""


class ChannelTimeout(Exception):
    """The deadline passed before the exchange finished."""


class FrameTooLarge(Exception):
    """The child announced a frame larger than the caller accepts."""


class Channel:
    """Frames to a child's stdin and from its stdout."""

    def __init__(self, to_child: IO[bytes], from_child: IO[bytes]) -> None:
        self._out = to_child.fileno()
        self._in = from_child.fileno()
        os.set_blocking(self._out, False)
        os.set_blocking(self._in, False)
        self._buffer = b""

    def send(self, frames: list[bytes], deadline: float) -> None:
        payload = b"".join(_HEADER.pack(len(frame)) + frame for frame in frames)
        view = memoryview(payload)
        with selectors.DefaultSelector() as selector:
            selector.register(self._out, selectors.EVENT_WRITE)
            while view:
                self._wait(selector, deadline)
                try:
                    written = os.write(self._out, view[:_CHUNK])
                except BrokenPipeError as exc:
                    raise ChannelClosed() from exc
                view = view[written:]

    def receive(self, deadline: float, max_bytes: int) -> bytes:
        header = self._read_exactly(_HEADER.size, deadline)
        (length,) = _HEADER.unpack(header)
        if length > max_bytes:
            raise FrameTooLarge()
        return self._read_exactly(length, deadline)

    def _read_exactly(self, size: int, deadline: float) -> bytes:
        chunks = [self._buffer]
        have = len(self._buffer)
        with selectors.DefaultSelector() as selector:
            selector.register(self._in, selectors.EVENT_READ)
            while have < size:
                self._wait(selector, deadline)
                chunk = os.read(self._in, max(_CHUNK, size - have))
                if not chunk:
                    raise ChannelClosed()
                chunks.append(chunk)
                have += len(chunk)
        data = b"".join(chunks)
        self._buffer = data[size:]
        return data[:size]

    @staticmethod
    def _wait(selector: selectors.BaseSelector, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not selector.select(remaining):
            raise ChannelTimeout()
