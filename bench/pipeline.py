"""`make bench`: 200 small PDFs through the real service (gunicorn + Celery worker).

Prints uploads/min (client side, over HTTP) and upload->processed latency p50/p95 (from the
server's own timestamps: document created_at -> job finished_at), first through the embedded
filesystem broker, then through Redis when redis-server is installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.pdfgen import make_text_pdf  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def start_redis() -> tuple[subprocess.Popen[bytes], str] | None:
    if not shutil.which("redis-server"):
        return None
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def server_latencies(env: dict[str, str], ids: list[str]) -> list[float]:
    os.environ.update(env)
    from core.settings import load_settings
    from service.db import make_engine

    engine = make_engine(load_settings(env).database_url)
    with engine.connect() as conn:
        from sqlalchemy import text

        rows = [r for r in conn.execute(text(
            "SELECT d.created_at, j.finished_at, d.id FROM documents d JOIN jobs j "
            "ON j.document_id = d.id WHERE j.state = 'succeeded'")).all() if r[2] in set(ids)]
    engine.dispose()

    def as_dt(v: Any) -> Any:
        from datetime import datetime

        return v if not isinstance(v, str) else datetime.fromisoformat(v)

    return [(as_dt(f) - as_dt(c)).total_seconds() for c, f, _ in rows]


def wait_processed(session: requests.Session, url: str, h: dict[str, str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if session.get(url, headers=h).json()["state"] in ("processed", "failed"):
            return
        time.sleep(0.01)
    raise RuntimeError(f"{url} was not processed in time")


def run_case(name: str, count: int, broker: str | None, idle: int) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="sekisho-bench-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEKISHO_")}
    env.update(SEKISHO_DATA_DIR=str(data_dir / "var"), SEKISHO_BIND=f"127.0.0.1:{port}",
               PYTHONPATH=str(ROOT))
    if broker:
        env["SEKISHO_BROKER_URL"] = broker
    log = open(data_dir / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/v1/health")
        time.sleep(2)  # let the worker finish starting so the first upload is not penalised
        output = (data_dir / "serve.log").read_text()
        admin = next(w for w in output.split() if w.startswith("skt_"))
        h = {"Authorization": f"Bearer {admin}"}
        requests.post(f"{base}/v1/users", headers=h, json={"name": "bench", "roles": ["uploader"]})
        token = requests.post(f"{base}/v1/users/bench/tokens", headers=h).json()["token"]
        h = {"Authorization": f"Bearer {token}"}
        pdfs = [make_text_pdf(f"取扱注意 ベンチマーク文書 {i}\n本文です。", javascript=True)
                for i in range(count)]
        session = requests.Session()
        t0 = time.perf_counter()
        ids = []
        for i, pdf in enumerate(pdfs):
            r = session.post(f"{base}/v1/documents", headers=h,
                             files={"file": (f"doc{i}.pdf", pdf, "application/pdf")})
            r.raise_for_status()
            ids.append(r.json()["id"])
        upload_seconds = time.perf_counter() - t0
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            docs = session.get(f"{base}/v1/documents?limit=200", headers=h).json()["documents"]
            states = [d["state"] for d in docs]
            if all(s in ("processed", "failed") for s in states) and len(docs) == count:
                break
            time.sleep(0.5)
        total_seconds = time.perf_counter() - t0
        failed = sum(1 for s in states if s == "failed")
        latencies = server_latencies(env, ids)
        # One document at a time on an idle queue: the latency a single user sees.
        idle_ids = []
        for i in range(idle):
            r = session.post(f"{base}/v1/documents", headers=h,
                             files={"file": (f"idle{i}.pdf", pdfs[i], "application/pdf")})
            idle_ids.append(r.json()["id"])
            wait_processed(session, f"{base}/v1/documents/{idle_ids[-1]}", h)
        idle_latencies = server_latencies(env, idle_ids)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    return {"name": name, "count": count, "failed": failed,
            "uploads_per_min": count / upload_seconds * 60,
            "processed_per_min": count / total_seconds * 60,
            "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
            "idle": idle, "idle_p50": percentile(idle_latencies, 50),
            "idle_p95": percentile(idle_latencies, 95),
            "pdf_bytes": sum(len(p) for p in pdfs) // count}


def report(result: dict[str, Any]) -> None:
    print(f"{result['name']:<22} {result['count']} PDFs (~{result['pdf_bytes']} B each), "
          f"failed {result['failed']}: uploads/min {result['uploads_per_min']:.0f}, "
          f"processed/min {result['processed_per_min']:.0f}, upload->processed "
          f"p50 {result['p50']:.2f} s, p95 {result['p95']:.2f} s (burst); one at a time "
          f"({result['idle']} docs): p50 {result['idle_p50'] * 1000:.0f} ms, "
          f"p95 {result['idle_p95'] * 1000:.0f} ms", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--idle", type=int, default=30, help="one-at-a-time latency samples")
    args = parser.parse_args()
    print(f"sekisho pipeline benchmark: {args.count} small PDFs, one gunicorn (2 workers) "
          f"+ one embedded Celery worker (solo pool), {os.cpu_count()} CPUs", flush=True)
    report(run_case("filesystem broker", args.count, None, args.idle))
    redis = start_redis()
    if redis is None:
        print("redis broker           skipped: redis-server is not installed")
        return 0
    proc, url = redis
    try:
        report(run_case("redis broker", args.count, url, args.idle))
    finally:
        proc.terminate()
        proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
