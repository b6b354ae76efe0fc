"""Fixtures for the signature tests: signers of both algorithms and their certificate files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from keys.sign import ECDSA_P256_SHA256, RSA_PSS_SHA256, Signer


@pytest.fixture(scope="session")
def ec_signer() -> Signer:
    return Signer.generate("signing-v1", algorithm=ECDSA_P256_SHA256)


@pytest.fixture(scope="session")
def rsa_signer() -> Signer:
    return Signer.generate("signing-v1", algorithm=RSA_PSS_SHA256)


@pytest.fixture(scope="session", params=[ECDSA_P256_SHA256, RSA_PSS_SHA256])
def signer(request: pytest.FixtureRequest, ec_signer: Signer, rsa_signer: Signer) -> Signer:
    return ec_signer if request.param == ECDSA_P256_SHA256 else rsa_signer


@pytest.fixture
def cert_file(tmp_path: Path, signer: Signer) -> Path:
    path = tmp_path / "signer.pem"
    path.write_text(signer.certificate_pem)
    return path


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "record.json"
    path.write_bytes(b'{"object_ids": ["doc-1"], "method": "cryptographic erase"}\n' * 50)
    return path


@pytest.fixture
def openssl_bin() -> str:
    found = shutil.which("openssl")
    if found is None:
        pytest.skip("openssl is not installed (Debian package: openssl)")
    return found


@pytest.fixture
def qpdf_bin() -> str:
    found = shutil.which("qpdf")
    if found is None:
        pytest.skip("qpdf is not installed (Debian package: qpdf)")
    return found
