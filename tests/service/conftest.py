"""Service fixtures: a private data directory per test, a real database (SQLite, or a fresh
PostgreSQL database when SEKISHO_TEST_DATABASE_URL is set), a real broker (filesystem, or
Redis when SEKISHO_TEST_BROKER_URL is set), and real worker processes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings, load_settings
from core.states import DOC_PROCESSED
from service.accounts import create_token, create_user, find_user
from service.app import create_app
from service.bootstrap import initialise
from service.models import Document
from service.runtime import Runtime, build_runtime
from service.versions import record_blob

ROOT = Path(__file__).resolve().parents[2]
WORKER_READY_TIMEOUT = 60.0


def _fresh_postgres(admin_url: str) -> tuple[str, Callable[[], None]]:
    import psycopg

    name = f"sekisho_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url, drop


def _flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def service_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        "SEKISHO_DATA_DIR": str(tmp_path / "var"),
        "SEKISHO_JOB_LEASE_SECONDS": "4",
    }
    cleanup: Callable[[], None] | None = None
    if admin_url := os.environ.get("SEKISHO_TEST_DATABASE_URL"):
        env["SEKISHO_DATABASE_URL"], cleanup = _fresh_postgres(admin_url)
    if broker := os.environ.get("SEKISHO_TEST_BROKER_URL"):
        _flush_redis(broker)
        env["SEKISHO_BROKER_URL"] = broker
    yield env
    if cleanup is not None:
        from service.db import make_engine

        make_engine(env["SEKISHO_DATABASE_URL"]).dispose()
        cleanup()


@pytest.fixture
def settings(service_env: dict[str, str]) -> Settings:
    return load_settings(service_env)


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    initialise(settings, quiet=True)
    runtime = build_runtime(settings)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def app(rt: Runtime) -> Any:
    return create_app(rt)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def make_user(rt: Runtime) -> Callable[..., dict[str, str]]:
    """make_user(name, *roles, profile=None) -> Authorization headers for a new user."""

    def make(name: str, *roles: str, profile: str | None = None) -> dict[str, str]:
        with rt.sessions.begin() as session:
            user = create_user(session, rt.audit_mac, name=name, roles=roles, profile=profile,
                               actor="test", known_profiles=rt.profiles)
            token = create_token(session, rt.audit_mac, user=user, actor="test")
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def stored(rt: Runtime, make_user: Any) -> Callable[..., str]:
    """stored(original=b"...", sanitised=b"...") -> id of a processed document with those
    versions in the encrypted store (no worker needed)."""
    make_user("alice", "uploader")

    def store(**versions: bytes) -> str:
        data = versions.get("original", b"")
        with rt.sessions.begin() as session:
            doc = Document(id=str(uuid.uuid4()), owner_id=find_user(session, "alice").id,
                           filename="報告書.txt", size=len(data),
                           sha256=hashlib.sha256(data).hexdigest(), profile=rt.settings.profile,
                           state=DOC_PROCESSED, findings=[], report={})
            session.add(doc)
            session.flush()
            for kind, content in versions.items():
                record_blob(session, doc.id, kind, rt.blobs.put_bytes(content), "text/plain")
            return doc.id

    return store


def subprocess_env(service_env: dict[str, str], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEKISHO_")}
    env.update(service_env)
    env.update(extra)
    env["PYTHONPATH"] = str(ROOT)
    return env


class WorkerProcess:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker"], cwd=ROOT, env=env,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + WORKER_READY_TIMEOUT
        while time.monotonic() < deadline:
            if b"ready." in self.log_path.read_bytes():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("worker did not start:\n" + self.log_path.read_text(errors="replace"))

    def kill(self) -> None:
        """SIGKILL the whole process group: no chance to clean up, like a crash."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@pytest.fixture
def start_worker(service_env: dict[str, str], tmp_path: Path,
                 rt: Runtime) -> Iterator[Callable[..., WorkerProcess]]:
    workers: list[WorkerProcess] = []

    def start(**extra_env: str) -> WorkerProcess:
        log = tmp_path / f"worker-{len(workers)}.log"
        worker = WorkerProcess(subprocess_env(service_env, **extra_env), log)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for_state(client: Any, headers: dict[str, str], doc_id: str,
                   states: tuple[str, ...] = ("processed", "failed"),
                   timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = client.get(f"/v1/documents/{doc_id}", headers=headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        if body["state"] in states:
            return body
        time.sleep(0.1)
    raise AssertionError(f"document {doc_id} stuck in {body.get('state')}: {body.get('job')}")


def run_pending_jobs(rt: Any) -> None:
    """Run every queued pipeline job in this process (tests that need processed documents
    without a worker)."""
    from service.jobs import run_job
    from service.models import Job

    with rt.sessions() as session:
        ids = [j.id for j in session.query(Job).filter_by(state="queued").all()]
    for job_id in ids:
        run_job(rt, job_id)
