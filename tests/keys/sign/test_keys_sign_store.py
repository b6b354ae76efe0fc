"""The service signing key at rest: created once, sealed under a KEK-wrapped DEK, never raw."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from core.errors import ConfigurationError, DecryptionFailed, KeyUnavailable
from keys.capabilities import EXPORT_RAW_KEY
from keys.kek_file import FileKekProvider
from keys.sign import (
    RSA_PSS_SHA256,
    load_or_create_signer,
    load_signer,
    rewrap_signers,
    sign_detached,
    verification_certificates,
    verification_keys,
    verify_detached,
)
from keys.sign.store import SEALED_FILE, SIGNING_DIR, WRAPPED_FILE
from keys.wrapped import WrappedKey


def _all_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def test_created_once_and_reloaded(kek_dir: Path, kek: FileKekProvider) -> None:
    first = load_or_create_signer(kek_dir, kek)
    again = load_or_create_signer(kek_dir, kek)
    assert again.certificate.sha256 == first.certificate.sha256
    assert first.key_id == "signing-v1" and first.algorithm == "ECDSA-P256-SHA-256"
    signature = sign_detached(b"record", again)
    verify_detached(b"record", signature, verification_certificates(kek_dir))


def test_files_are_private_and_the_key_is_never_stored_raw(kek_dir: Path,
                                                           kek: FileKekProvider) -> None:
    signer = load_or_create_signer(kek_dir, kek)
    version_dir = kek_dir / SIGNING_DIR / "v1"
    for directory in (kek_dir / SIGNING_DIR, version_dir):
        assert directory.stat().st_mode & 0o777 == 0o700
    for path in version_dir.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path
    raw = signer.signing_key().export_pkcs8_der(EXPORT_RAW_KEY)
    stored = _all_bytes(kek_dir)
    assert raw not in stored and raw[-32:] not in stored  # the scalar is in the DER's tail
    assert b"PRIVATE KEY" not in stored
    assert not [p for p in (kek_dir / SIGNING_DIR).iterdir() if p.name.startswith(".")]


def test_rsa_pss_signer(kek_dir: Path, kek: FileKekProvider) -> None:
    signer = load_or_create_signer(kek_dir, kek, algorithm=RSA_PSS_SHA256)
    assert signer.algorithm == RSA_PSS_SHA256 and signer.signing_key().bits == 3072
    assert verification_keys(kek_dir)[0]["algorithm"] == RSA_PSS_SHA256


def test_verification_keys_describe_the_certificates(kek_dir: Path, kek: FileKekProvider) -> None:
    signer = load_or_create_signer(kek_dir, kek)
    (entry,) = verification_keys(kek_dir)
    assert entry["key_id"] == "signing-v1"
    assert entry["certificate_sha256"] == signer.certificate.sha256
    assert entry["certificate_pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert entry["not_after"] > entry["not_before"]


def test_nothing_to_load(kek_dir: Path, kek: FileKekProvider, tmp_path: Path) -> None:
    with pytest.raises(KeyUnavailable, match="sekisho init"):
        load_signer(kek_dir, kek)
    assert verification_certificates(kek_dir) == []
    with pytest.raises(KeyUnavailable):  # no KEK directory at all: never created silently
        load_or_create_signer(tmp_path / "missing", FileKekProvider(tmp_path / "missing"))


def test_another_kek_cannot_open_it(kek_dir: Path, kek: FileKekProvider, tmp_path: Path) -> None:
    load_or_create_signer(kek_dir, kek)
    stranger = FileKekProvider(tmp_path / "other-kek")
    stranger.initialise()
    with pytest.raises(DecryptionFailed):
        load_signer(kek_dir, stranger)


def test_tampered_files_fail(kek_dir: Path, kek: FileKekProvider) -> None:
    load_or_create_signer(kek_dir, kek)
    sealed = kek_dir / SIGNING_DIR / "v1" / SEALED_FILE
    data = bytearray(sealed.read_bytes())
    data[-5] ^= 0x01
    sealed.write_bytes(bytes(data))
    with pytest.raises(DecryptionFailed):
        load_signer(kek_dir, kek)


def test_loose_permissions_are_refused(kek_dir: Path, kek: FileKekProvider) -> None:
    load_or_create_signer(kek_dir, kek)
    wrapped = kek_dir / SIGNING_DIR / "v1" / WRAPPED_FILE
    os.chmod(wrapped, 0o644)
    with pytest.raises(ConfigurationError):
        load_signer(kek_dir, kek)


def test_rewrap_survives_kek_rotation(kek_dir: Path, kek: FileKekProvider) -> None:
    signer = load_or_create_signer(kek_dir, kek)
    assert rewrap_signers(kek_dir, kek) == 0  # already under the current version
    new_version = kek.create_version()
    assert rewrap_signers(kek_dir, kek) == 1
    blob = WrappedKey.from_bytes((kek_dir / SIGNING_DIR / "v1" / WRAPPED_FILE).read_bytes())
    assert blob.kek_version == new_version
    kek.destroy_version(1)
    assert load_signer(kek_dir, kek).certificate.sha256 == signer.certificate.sha256


def test_rewrap_moves_the_signing_key_off_a_withdrawn_aead(kek_dir: Path,
                                                           kek: FileKekProvider) -> None:
    """危殆化 (Saitama 第6 1(5)ア(オ)): like the object DEKs, a signing key wrapped by a
    withdrawn AEAD under the current KEK version is re-wrapped by the preferred one."""
    from keys.allowlist import DEFAULT_ALLOWLIST, install_allowlist

    signer = load_or_create_signer(kek_dir, kek)
    install_allowlist(DEFAULT_ALLOWLIST.withdraw("AES-256-GCM"))
    try:
        assert rewrap_signers(kek_dir, kek) == 1
        blob = WrappedKey.from_bytes((kek_dir / SIGNING_DIR / "v1" / WRAPPED_FILE).read_bytes())
        assert blob.algorithm == "CHACHA20-POLY1305"
        assert load_signer(kek_dir, kek).certificate.sha256 == signer.certificate.sha256
    finally:
        install_allowlist(DEFAULT_ALLOWLIST)


def test_concurrent_creation_ends_with_one_signer(kek_dir: Path, kek: FileKekProvider) -> None:
    results: list[str] = []

    def create() -> None:
        results.append(load_or_create_signer(kek_dir, kek).certificate.sha256)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and len(results) == 4
    assert [p.name for p in (kek_dir / SIGNING_DIR).iterdir()] == ["v1"]


def test_works_with_a_pkcs11_kek(tmp_path: Path, pkcs11_kek) -> None:
    kek_dir = tmp_path / "kek"
    kek_dir.mkdir(mode=0o700)
    signer = load_or_create_signer(kek_dir, pkcs11_kek)
    assert load_signer(kek_dir, pkcs11_kek).certificate.sha256 == signer.certificate.sha256
