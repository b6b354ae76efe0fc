"""``sekisho seal`` / ``sekisho open`` end to end (service.crypto_cli), with real tools."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from keys.kek_file import FileKekProvider
from service.crypto_cli import main

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def service_kek(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    kek_dir = tmp_path / "var" / "kek"
    monkeypatch.setenv("SEKISHO_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SEKISHO_KEK_DIR", str(kek_dir))
    FileKekProvider(kek_dir).initialise()
    return kek_dir


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_seal_sealed_with_generated_password_then_open(
    tmp_path: Path, service_kek: Path, sample: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out.skx"
    code, result = _run(capsys, "seal", str(sample), "-o", str(out), "--format", "sealed")
    assert code == 0, result
    assert len(result["password"]) == 24
    assert result["algorithms"]["key_establishment"] == "PBKDF2-HMAC-SHA-256"
    assert result["algorithms"]["password_iterations"] >= 600_000
    assert Path(result["signature"]).exists() and result["signer_certificate_sha256"]
    assert result["password"].encode() not in out.read_bytes()
    (tmp_path / "pw").write_text(result["password"] + "\n")
    code, opened = _run(capsys, "open", str(out), "-o", str(tmp_path / "plain"),
                        "--password-file", str(tmp_path / "pw"))
    assert code == 0 and opened["bytes"] == sample.stat().st_size
    assert (tmp_path / "plain").read_bytes() == sample.read_bytes()


def test_open_with_the_wrong_password_writes_nothing(
    tmp_path: Path, service_kek: Path, sample: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out.skx"
    (tmp_path / "pw").write_text("the right password, long enough\n")
    code, _ = _run(capsys, "seal", str(sample), "-o", str(out), "--format", "sealed",
                   "--password-file", str(tmp_path / "pw"), "--no-sign")
    assert code == 0 and not (tmp_path / "out.skx.sig").exists()
    (tmp_path / "wrong").write_text("the wrong password, long enough\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    code, error = _run(capsys, "open", str(out), "-o", str(tmp_path / "plain"),
                       "--password-file", str(tmp_path / "wrong"))
    assert code == 2 and error["error"] == "decryption_failed"
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_seal_for_a_recipient_and_open_with_the_key(
    tmp_path: Path, service_kek: Path, sample: Path, rsa_recipient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out.skx"
    code, result = _run(capsys, "seal", str(sample), "-o", str(out), "--format", "sealed",
                        "--recipient-cert", str(rsa_recipient.cert_pem))
    assert code == 0 and "password" not in result
    assert result["algorithms"]["key_establishment"] == "RSA-OAEP-SHA-256"
    code, _ = _run(capsys, "open", str(out), "-o", str(tmp_path / "plain"),
                   "--key", str(rsa_recipient.key_pem))
    assert code == 0 and (tmp_path / "plain").read_bytes() == sample.read_bytes()


def test_seal_cms_is_opened_by_openssl(
    tmp_path: Path, service_kek: Path, sample: Path, rsa_recipient, openssl_bin: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out.p7m"
    code, result = _run(capsys, "seal", str(sample), "-o", str(out), "--format", "cms",
                        "--recipient-cert", str(rsa_recipient.cert_pem))
    assert code == 0, result
    assert result["algorithms"]["content_encryption"] == "AES-256-GCM"
    subprocess.run([openssl_bin, "cms", "-decrypt", "-inform", "DER", "-in", str(out),
                    "-recip", str(rsa_recipient.cert_pem), "-inkey", str(rsa_recipient.key_pem),
                    "-out", str(tmp_path / "plain")], check=True, capture_output=True)
    assert (tmp_path / "plain").read_bytes() == sample.read_bytes()


def test_zip_is_refused_with_the_reason(
    tmp_path: Path, service_kek: Path, sample: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    code, error = _run(capsys, "seal", str(sample), "-o", str(tmp_path / "o.zip"),
                       "--format", "zip")
    assert code == 2 and error["error"] == "algorithm_not_allowed"
    assert "PPAP" in error["message"] and "SHA-1" in error["message"]
    assert not (tmp_path / "o.zip").exists()


def test_format_and_option_mismatches(
    tmp_path: Path, service_kek: Path, sample: Path, rsa_recipient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, error = _run(capsys, "seal", str(sample), "-o", str(tmp_path / "o"), "--format", "cms")
    assert code == 2 and error["error"] == "invalid_request"
    code, error = _run(capsys, "seal", str(sample), "-o", str(tmp_path / "o"), "--format", "pdf",
                       "--recipient-cert", str(rsa_recipient.cert_pem))
    assert code == 2 and error["error"] == "invalid_request"
    code, error = _run(capsys, "open", str(sample), "-o", str(tmp_path / "o"))
    assert code == 2 and error["error"] == "invalid_request"


def test_open_runs_as_a_separate_process_without_a_service(tmp_path: Path, sample: Path,
                                                          ec_recipient) -> None:
    """A recipient has only the CLI and their key: no data directory, no KEK."""
    from keys.export import load_recipient, seal_file

    seal_file(sample, tmp_path / "in.skx", recipient=load_recipient(ec_recipient.cert_pem))
    env = {**os.environ, "SEKISHO_DATA_DIR": str(tmp_path / "nothing-here")}
    result = subprocess.run(
        [sys.executable, "-m", "service.crypto_cli", "open", str(tmp_path / "in.skx"),
         "-o", str(tmp_path / "plain"), "--key", str(ec_recipient.key_pem), "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "plain").read_bytes() == sample.read_bytes()
    assert not (tmp_path / "nothing-here").exists()
