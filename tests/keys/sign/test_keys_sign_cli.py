"""``sekisho verify`` and ``GET /v1/verification-keys`` (service.api.verification)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask

from keys.kek_file import FileKekProvider
from keys.sign import load_or_create_signer, sign_file, verify_detached_file
from service.crypto_cli import main


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


def test_verify_a_detached_signature(service_kek: Path, document: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    signer = load_or_create_signer(service_kek, FileKekProvider(service_kek))
    signature = tmp_path / "record.json.sig"
    signature.write_bytes(sign_file(document, signer))
    code, out = _run(capsys, "verify", str(document), str(signature))
    assert code == 0 and out["valid"] is True
    assert out["signatures"][0]["certificate_sha256"] == signer.certificate.sha256
    document.write_bytes(document.read_bytes().replace(b"doc-1", b"doc-2", 1))
    code, out = _run(capsys, "verify", str(document), str(signature))
    assert code == 1 and out["valid"] is False and out["error"] == "signature_invalid"


def test_verify_with_an_explicit_certificate_and_no_service(
    tmp_path: Path, document: Path, ec_signer, rsa_signer, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SEKISHO_DATA_DIR", str(tmp_path / "no-service"))
    signature = tmp_path / "d.sig"
    signature.write_bytes(sign_file(document, ec_signer))
    (tmp_path / "ec.pem").write_text(ec_signer.certificate_pem)
    (tmp_path / "rsa.pem").write_text(rsa_signer.certificate_pem)
    code, out = _run(capsys, "verify", str(document), str(signature),
                     "--cert", str(tmp_path / "rsa.pem"), "--cert", str(tmp_path / "ec.pem"))
    assert code == 0, out
    code, out = _run(capsys, "verify", str(document), str(signature),
                     "--cert", str(tmp_path / "rsa.pem"))
    assert code == 1 and "trusted" in out["message"]
    code, out = _run(capsys, "verify", str(document), str(signature))
    assert code == 2 and out["error"] == "key_unavailable"  # no certificates to trust here


def test_seal_pdf_then_verify_the_embedded_and_detached_signatures(
    service_kek: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    import pikepdf

    source = tmp_path / "in.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(source)
    out_pdf = tmp_path / "out.pdf"
    code, sealed = _run(capsys, "seal", str(source), "-o", str(out_pdf), "--format", "pdf")
    assert code == 0 and sealed["pdf_signed"] is True
    (tmp_path / "pw").write_text(sealed["password"])
    code, out = _run(capsys, "verify", str(out_pdf), "--password-file", str(tmp_path / "pw"))
    assert code == 0 and out["signatures"][0]["algorithm"] == "ECDSA-P256-SHA-256"
    code, out = _run(capsys, "verify", str(out_pdf), sealed["signature"])
    assert code == 0
    code, out = _run(capsys, "verify", str(out_pdf))
    assert code == 2 and out["error"] == "decryption_failed"  # encrypted, no password given


def test_verification_keys_endpoint(service_kek: Path, document: Path) -> None:
    from service.api.verification import bp
    from service.runtime import EXTENSION_KEY

    signer = load_or_create_signer(service_kek, FileKekProvider(service_kek))
    app = Flask(__name__)
    app.extensions[EXTENSION_KEY] = SimpleNamespace(settings=SimpleNamespace(kek_dir=service_kek))
    app.register_blueprint(bp)
    response = app.test_client().get("/v1/verification-keys")  # no token: public by design
    assert response.status_code == 200
    (key,) = response.get_json()["keys"]
    assert key["key_id"] == "signing-v1" and key["algorithm"] == "ECDSA-P256-SHA-256"
    signature = sign_file(document, signer)
    verify_detached_file(document, signature, [key["certificate_pem"]])
