"""Fixtures for the export tests: recipient keys and certificates, sample files, tool checks.

Keys are generated here (never downloaded); certificates are self-signed like a recipient's
S/MIME certificate would be from openssl's point of view (issuer + serial identify it).
"""

from __future__ import annotations

import datetime
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class KeyPair:
    key_pem: Path
    cert_pem: Path
    public_pem: Path


def _write_pair(directory: Path, name: str, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
                ) -> KeyPair:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"recipient {name}")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    pair = KeyPair(directory / f"{name}.key.pem", directory / f"{name}.cert.pem",
                   directory / f"{name}.pub.pem")
    pair.key_pem.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    pair.cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.public_pem.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return pair


@pytest.fixture(scope="session")
def recipient_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("recipients")


@pytest.fixture(scope="session")
def rsa_recipient(recipient_dir: Path) -> KeyPair:
    return _write_pair(recipient_dir, "rsa3072", rsa.generate_private_key(65537, 3072))


@pytest.fixture(scope="session")
def other_rsa_recipient(recipient_dir: Path) -> KeyPair:
    return _write_pair(recipient_dir, "rsa3072-other", rsa.generate_private_key(65537, 3072))


@pytest.fixture(scope="session")
def ec_recipient(recipient_dir: Path) -> KeyPair:
    return _write_pair(recipient_dir, "p256", ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture(scope="session")
def other_ec_recipient(recipient_dir: Path) -> KeyPair:
    return _write_pair(recipient_dir, "p256-other", ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture(scope="session")
def weak_rsa_recipient(recipient_dir: Path) -> KeyPair:
    return _write_pair(recipient_dir, "rsa2048", rsa.generate_private_key(65537, 2048))


@pytest.fixture(scope="session")
def p384_recipient(recipient_dir: Path) -> KeyPair:
    return _write_pair(recipient_dir, "p384", ec.generate_private_key(ec.SECP384R1()))


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A file of a few segments' worth of varied bytes (known origin: a fixed pattern)."""
    path = tmp_path / "報告書 sample.bin"
    path.write_bytes(bytes((i * 7 + i // 251) % 256 for i in range(50_000)))
    return path


@pytest.fixture
def sample_pdf(tmp_path: Path) -> Path:
    import pikepdf

    path = tmp_path / "document.pdf"
    with pikepdf.new() as pdf:
        for _ in range(3):
            pdf.add_blank_page(page_size=(595, 842))
        pdf.docinfo["/Title"] = "機密性2 export test"
        pdf.save(path)
    return path


def _need(tool: str) -> str:
    """The tool's path, or skip with the Debian package that provides it."""
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} is not installed (Debian package: {tool})")
    return found


@pytest.fixture
def openssl_bin() -> str:
    return _need("openssl")


@pytest.fixture
def qpdf_bin() -> str:
    return _need("qpdf")
