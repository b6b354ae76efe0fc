"""The default (``filesystem://``) broker, made safe for a producer and a consumer at once.

kombu's filesystem transport creates the message file under its final name and only then
writes it, while a consumer claims any file with that name by moving it and parsing what it
finds. A consumer that polls in between reads an empty or half-written file, and the JSON
error stops the Celery worker for good ("Unrecoverable error"); that is how a CI run lost
its worker. Here a message is written under a temporary name and renamed into place (rename
is atomic within a directory), claimed by a rename into the data directory's own
``processed`` folder (not the shared /tmp), and a file that still cannot be parsed is logged
and dropped. Dropping is safe: messages carry only a job id, and the lease sweeper
(service.tasks) re-queues any job that stays queued.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic_ns
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps, loads

log = logging.getLogger("sekisho.broker")

TRANSPORT_PATH = "service.fsbroker:Transport"
_PARTIAL_PREFIX = ".partial-"  # never matches a queue's "<name>.msg" suffix


def message_filename(queue: str) -> str:
    # kombu's naming scheme (time, id, queue), but with the time zero-padded so that the
    # consumer's sorted() listing is FIFO order even when the number of digits changes.
    return f"{monotonic_ns() // 1000:020d}_{uuid.uuid4()}.{queue}.msg"


def is_message_for(filename: str, queue: str) -> bool:
    return not filename.startswith(".") and filename.partition(".")[2] == f"{queue}.msg"


def write_atomically(folder: Path, filename: str, payload: bytes) -> None:
    partial = folder / f"{_PARTIAL_PREFIX}{uuid.uuid4()}"
    try:
        with open(partial, "wb") as f:
            f.write(payload)
        os.replace(partial, folder / filename)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ChannelError(f"cannot add a message to {folder}") from exc


def claim_file(source: Path, claimed_dir: Path) -> Path | None:
    """Rename the message out of the queue; None when another consumer took it first."""
    target = claimed_dir / f"{source.name}.{uuid.uuid4().hex}"
    try:
        os.rename(source, target)
    except FileNotFoundError:
        return None
    return target


def read_claimed(path: Path) -> Any | None:
    try:
        payload = path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
    try:
        return loads(payload.decode("utf-8"))  # type: ignore[no-untyped-call]
    except (UnicodeDecodeError, ValueError):
        log.warning("dropped an unreadable queue message (%d bytes); the sweeper re-queues "
                    "its job", len(payload))
        return None


class Channel(filesystem.Channel):
    # kombu names the second argument differently in the two bases; it is passed by position.
    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        folder = Path(self.data_folder_out)
        write_atomically(folder, message_filename(queue),
                         dumps(payload).encode("utf-8"))  # type: ignore[no-untyped-call]

    def _get(self, queue: Any, timeout: Any = None) -> Any:
        folder = Path(self.data_folder_in)
        claimed_dir = Path(self.processed_folder)
        claimed_dir.mkdir(parents=True, exist_ok=True)
        for filename in sorted(os.listdir(folder)):
            if not is_message_for(filename, queue):
                continue
            claimed = claim_file(folder / filename, claimed_dir)
            if claimed is None:
                continue
            message = read_claimed(claimed)
            if message is not None:
                return message
        raise Empty()


class Transport(filesystem.Transport):
    Channel = Channel
