"""The default filesystem broker: a message is never seen half-written, garbage never stops it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection

from service.fsbroker import TRANSPORT_PATH, is_message_for

QUEUE = "sekisho"


@pytest.fixture
def queue_name(request: pytest.FixtureRequest) -> str:
    # kombu keeps declared bindings in a process-wide state: one queue name per test keeps
    # a test from relying on another test's control folder.
    return f"q{abs(hash(request.node.name)) % 10**8}"


def connection(root: Path) -> Any:
    folder = str(root / "messages")
    for sub in ("messages", "processed", "control"):
        (root / sub).mkdir(exist_ok=True)
    return Connection("filesystem://", transport=TRANSPORT_PATH, transport_options={
        "data_folder_in": folder, "data_folder_out": folder,
        "processed_folder": str(root / "processed"), "control_folder": str(root / "control"),
    })


def test_garbage_message_files_are_dropped_and_the_next_message_still_arrives(
    tmp_path: Path, queue_name: str
) -> None:
    with connection(tmp_path) as conn:
        queue = conn.SimpleQueue(queue_name)
        # what a consumer sees when it polls between the producer's open() and write()
        (tmp_path / "messages" / f"1_a.{queue_name}.msg").write_bytes(b"")
        (tmp_path / "messages" / f"2_b.{queue_name}.msg").write_bytes(b'{"body": ')
        queue.put({"job": "j-1"})
        message = queue.get(timeout=5)
        assert message.payload == {"job": "j-1"}
        message.ack()
        with pytest.raises(queue.Empty):
            queue.get(timeout=0.2)
        queue.close()
    assert list((tmp_path / "messages").iterdir()) == []
    assert list((tmp_path / "processed").iterdir()) == [], "claimed messages are deleted"


def test_concurrent_producers_and_consumer_deliver_every_message_once(
    tmp_path: Path, queue_name: str
) -> None:
    count, producers = 300, 4
    received: list[int] = []
    errors: list[BaseException] = []

    def produce(offset: int) -> None:
        try:
            with connection(tmp_path) as conn:
                queue = conn.SimpleQueue(queue_name)
                for n in range(offset, count, producers):
                    queue.put({"n": n})
                queue.close()
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=produce, args=(i,)) for i in range(producers)]
    with connection(tmp_path) as conn:
        queue = conn.SimpleQueue(queue_name)
        for thread in threads:
            thread.start()
        while len(received) < count:
            try:
                message = queue.get(timeout=5)
            except queue.Empty:
                left = sorted(p.name for p in (tmp_path / "messages").iterdir())
                pytest.fail(f"got {len(received)} of {count}; errors {errors}; left {left[:5]}")
            received.append(message.payload["n"])
            message.ack()
        queue.close()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(received) == list(range(count))


def test_partial_files_are_not_messages() -> None:
    assert is_message_for(f"123_x.{QUEUE}.msg", QUEUE)
    assert not is_message_for(".partial-123", QUEUE)
    assert not is_message_for("123_x.other.msg", QUEUE)
