"""The README quick-start as a new user runs it: `sekisho serve`, then plain HTTP calls."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fixtures.pdfgen import make_text_pdf
from tests.service.conftest import ROOT, subprocess_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(service_env: dict[str, str], tmp_path: Path) -> Any:
    port = free_port()
    log = open(tmp_path / "serve.log", "wb")
    env = subprocess_env(service_env, SEKISHO_BIND=f"127.0.0.1:{port}")
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/v1/health", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail((tmp_path / "serve.log").read_text(errors="replace"))
    yield base, tmp_path / "serve.log"
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


def test_quick_start(served: Any) -> None:
    base, log = served
    output = log.read_text(errors="replace")
    admin_token = next(w for w in output.split() if w.startswith("skt_"))
    admin = {"Authorization": f"Bearer {admin_token}"}
    r = requests.post(f"{base}/v1/users", headers=admin,
                      json={"name": "alice", "roles": ["uploader"]}, timeout=10)
    assert r.status_code == 201, r.text
    token = requests.post(f"{base}/v1/users/alice/tokens", headers=admin,
                          timeout=10).json()["token"]
    alice = {"Authorization": f"Bearer {token}"}
    pdf = make_text_pdf("【取扱注意】 会議資料", javascript=True)
    r = requests.post(f"{base}/v1/documents", headers=alice,
                      files={"file": ("会議資料.pdf", pdf, "application/pdf")}, timeout=30)
    assert r.status_code == 202, r.text
    doc_id = r.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = requests.get(f"{base}/v1/documents/{doc_id}", headers=alice, timeout=10).json()
        if body["state"] in ("processed", "failed"):
            break
        time.sleep(0.2)
    assert body["state"] == "processed", body
    assert body["labels"]["label"]["confidentiality"] in ("C2", "C3")
    assert any(f["entity_type"] == "CLASSIFICATION_MARKING" for f in body["findings"])
    content = requests.get(f"{base}/v1/documents/{doc_id}/content", headers=alice, timeout=30)
    assert content.status_code == 200 and content.content.startswith(b"%PDF")
    assert b"/JavaScript" not in content.content
    assert requests.get(f"{base}/v1/docs", timeout=10).text.count("/v1/documents") >= 3
    r = requests.post(f"{base}/v1/documents", headers=alice, data=b"x" * 10, timeout=10)
    assert r.status_code == 202
    r = requests.post(f"{base}/v1/documents", headers={**alice,
                      "Content-Type": "multipart/form-data; boundary=zz"}, data=b"--zz\r\nbad",
                      timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "malformed_multipart"
