"""The milter process around libmilter: its decision pool leaves nothing behind (when the
milter dies, however it dies, its decision workers and the sanitiser fork servers they
started exit too: they were seen idling after test runs and benchmarks before), and its
listening socket is tuned (TCP_NODELAY; a unix socket's permissions)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.errors import ConfigurationError
from service.milter_socket import socket_mode, tuned_listener

ROOT = Path(__file__).resolve().parents[2]

POOL_SCRIPT = """
import json, os, sys, time
from core.settings import load_settings
from service.bootstrap import initialise
from service.milter_pool import DecisionPool, _started

initialise(load_settings(), quiet=True)
pool = DecisionPool(2)
pool.start()
workers = sorted({pool._executor().submit(_started, 0.3).result() for _ in range(4)})
print(json.dumps(workers), flush=True)
time.sleep(600)
"""


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_and_their_fork_servers_exit_when_the_milter_is_killed(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEKISHO_")}
    env.update(SEKISHO_DATA_DIR=str(tmp_path / "var"), PYTHONPATH=str(ROOT))
    milter = subprocess.Popen([sys.executable, "-c", POOL_SCRIPT], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert milter.stdout is not None
        workers = json.loads(milter.stdout.readline() or "[]")
        assert len(workers) == 2, "the pool did not start two workers"
        left = [*workers, *(c for w in workers for c in _children(w))]
        assert len(left) > len(workers), "each worker starts the sanitiser's fork server"
        os.kill(milter.pid, signal.SIGKILL)
        milter.wait(10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_running(p) for p in left):
            time.sleep(0.2)
        assert not [p for p in left if _running(p)], "left behind by a killed milter"
    finally:
        if milter.poll() is None:
            os.killpg(milter.pid, signal.SIGKILL)


class _FakeLibmilter:
    """Stands in for libmilter's module: its opensocket makes a listening TCP socket."""

    def __init__(self) -> None:
        self.listener: socket.socket | None = None

    def opensocket(self, _remove: bool) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))


class _FakeMilter:
    def __init__(self) -> None:
        self.milter = _FakeLibmilter()


def test_the_listening_socket_gets_tcp_nodelay() -> None:
    """Small milter messages must not wait for delayed ACKs (bench.mail: about 90 ms a
    message on an inet socket); accepted connections inherit the listener's option."""
    fake = _FakeMilter()
    with tuned_listener(fake, "inet:0@127.0.0.1", 0o660):
        fake.milter.opensocket(True)
    listener = fake.milter.listener
    assert listener is not None
    try:
        with socket.create_connection(listener.getsockname()):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        listener.close()
    assert fake.milter.opensocket.__func__ is _FakeLibmilter.opensocket  # type: ignore[attr-defined]


def test_socket_mode_is_octal_and_bounded() -> None:
    assert socket_mode(None) == 0o660
    assert socket_mode("0666") == 0o666
    for bad in ("rw-rw----", "1777", "9"):
        with pytest.raises(ConfigurationError):
            socket_mode(bad)


def test_the_mta_waits_for_an_answer_at_data() -> None:
    """Without a DATA callback Postfix sends the DATA macros with no command, and its next
    small write waits for our delayed ACK (40 ms a message, measured by bench.mail)."""
    Milter = pytest.importorskip("Milter", reason="pymilter (the `mail` extra) is not "
                                 "installed")
    from service.milter import make_milter_class

    # pymilter's mask lists the MTA's offers it refuses: "skip DATA" (P_NODATA) is one.
    assert make_milter_class().protocol_mask() & Milter.P_NODATA

