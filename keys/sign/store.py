"""The service signing key at rest: sealed under a DEK that the KEK provider wraps.

Layout under the KEK directory (0700 directories, 0600 files, like the KEK itself)::

    signing/v1/certificate.pem       self-signed certificate (public; published by the API)
    signing/v1/private-key.wrapped   a fresh DEK, wrapped by the KEK provider (key id signing-v1)
    signing/v1/private-key.sealed    PKCS#8 DER of the key, sealed stream v1 under that DEK

Going through the provider (not a key derived from a key file) means the same code serves the
key-file KEK and a PKCS#11 token, whose KEK never leaves the token (Saitama 第8 1(5)ア, CRY-10).
Saitama 第8 1(5)イ: copies of keys are protected like the originals, so nothing here is ever
written in the clear. A version directory is built under a temporary name and renamed into
place, so two processes initialising at once end with one complete signer, never a torn one.
KEK rotation must call :func:`rewrap_signers` before destroying an old KEK version.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import stat
from pathlib import Path

from core.errors import ConfigurationError, KeyUnavailable
from keys.allowlist import AlgorithmRefused, active_allowlist
from keys.capabilities import EXPORT_RAW_KEY
from keys.epochs import is_current
from keys.handles import new_data_key
from keys.kek import KekProvider
from keys.keyfiles import check_private_dir, ensure_private_dir
from keys.primitives.randomness import random_hex
from keys.primitives.signing import ECDSA_P256_SHA256, RSA_PSS_SHA256, SigningKey
from keys.sealed import SealedWriter, decrypt_all
from keys.sign.certificates import der_to_pem, parse_certificate
from keys.sign.signer import DEFAULT_SIGNATURE_ALGORITHM, Signer
from keys.wrapped import WrappedKey

SIGNING_DIR = "signing"
CERTIFICATE_FILE = "certificate.pem"
WRAPPED_FILE = "private-key.wrapped"
SEALED_FILE = "private-key.sealed"
_VERSION_DIR = re.compile(r"v([1-9][0-9]{0,8})")
_MAX_FILE_BYTES = 64 * 1024
_FLAGS_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def signer_key_id(version: int) -> str:
    return f"signing-v{version}"


def _versions(kek_dir: Path) -> list[int]:
    root = kek_dir / SIGNING_DIR
    if not root.exists():
        return []
    check_private_dir(root)
    found = (_VERSION_DIR.fullmatch(p.name) for p in root.iterdir() if p.is_dir())
    return sorted(int(m.group(1)) for m in found if m)


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, _FLAGS_NEW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_protected(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise KeyUnavailable(f"signing key file {path.name} is missing") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
            raise ConfigurationError(f"signing key file {path.name} is not a private 0600 file")
        return os.read(fd, _MAX_FILE_BYTES)
    finally:
        os.close(fd)


def _seal_private_key(key: SigningKey, provider: KekProvider, key_id: str) -> tuple[bytes, bytes]:
    data_key = new_data_key()
    try:
        wrapped = provider.wrap(data_key, key_id).to_bytes()
        sealed = io.BytesIO()
        with SealedWriter(sealed, data_key, key_id) as writer:
            writer.write(key.export_pkcs8_der(EXPORT_RAW_KEY))  # sealed at once, never stored raw
    finally:
        data_key.destroy()
    return wrapped, sealed.getvalue()


def _create_version(kek_dir: Path, provider: KekProvider, version: int, algorithm: str) -> None:
    root = kek_dir / SIGNING_DIR
    key_id = signer_key_id(version)
    signer = Signer.generate(key_id, algorithm=algorithm)
    wrapped, sealed = _seal_private_key(signer.signing_key(), provider, key_id)
    staging = root / f".new-{random_hex(8)}"
    staging.mkdir(mode=0o700)
    try:
        _write_new(staging / CERTIFICATE_FILE, signer.certificate_pem.encode("ascii"))
        _write_new(staging / WRAPPED_FILE, wrapped)
        _write_new(staging / SEALED_FILE, sealed)
        with contextlib.suppress(OSError):  # another process got there first: keep theirs
            os.rename(staging, root / f"v{version}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _load_version(kek_dir: Path, provider: KekProvider, version: int) -> Signer:
    directory = kek_dir / SIGNING_DIR / f"v{version}"
    check_private_dir(directory)
    key_id = signer_key_id(version)
    wrapped = WrappedKey.from_bytes(_read_protected(directory / WRAPPED_FILE))
    data_key = provider.unwrap(wrapped, key_id)
    try:
        der = decrypt_all(io.BytesIO(_read_protected(directory / SEALED_FILE)), data_key,
                          expected_key_id=key_id)
    finally:
        data_key.destroy()
    certificate = parse_certificate(_read_protected(directory / CERTIFICATE_FILE))
    return Signer(SigningKey.from_pkcs8_der(der), certificate.der, key_id)


def load_signer(kek_dir: Path, provider: KekProvider) -> Signer:
    """The newest signing key. KeyUnavailable if none was created (``sekisho init``)."""
    versions = _versions(Path(kek_dir))
    if not versions:
        raise KeyUnavailable("no signing key in the key directory (run sekisho init)")
    return _load_version(Path(kek_dir), provider, versions[-1])


def load_or_create_signer(
    kek_dir: Path, provider: KekProvider, *, algorithm: str = DEFAULT_SIGNATURE_ALGORITHM,
) -> Signer:
    """The newest signing key, creating version 1 first if there is none (idempotent)."""
    kek_dir = Path(kek_dir)
    if not _versions(kek_dir):
        check_private_dir(kek_dir)  # the KEK directory must already exist and be private
        ensure_private_dir(kek_dir / SIGNING_DIR)
        _create_version(kek_dir, provider, 1, algorithm)
    return load_signer(kek_dir, provider)


def verification_certificates(kek_dir: Path) -> list[str]:
    """PEM certificates of every signing key version, newest first (old signatures must keep
    verifying after a new key is made). Needs no KEK: certificates are public."""
    kek_dir = Path(kek_dir)
    pems = []
    for version in reversed(_versions(kek_dir)):
        raw = _read_protected(kek_dir / SIGNING_DIR / f"v{version}" / CERTIFICATE_FILE)
        pems.append(der_to_pem(parse_certificate(raw).der))
    return pems


def verification_keys(kek_dir: Path) -> list[dict[str, str]]:
    """:func:`verification_certificates` with what a relying party needs to pick one."""
    kek_dir = Path(kek_dir)
    keys = []
    for version in reversed(_versions(kek_dir)):
        raw = _read_protected(kek_dir / SIGNING_DIR / f"v{version}" / CERTIFICATE_FILE)
        cert = parse_certificate(raw)
        public = cert.public_key()
        keys.append({
            "key_id": signer_key_id(version),
            "algorithm": ECDSA_P256_SHA256 if public.kind == "ec" else RSA_PSS_SHA256,
            "subject": cert.subject,
            "certificate_sha256": cert.sha256,
            "not_before": cert.not_before.isoformat(),
            "not_after": cert.not_after.isoformat(),
            "certificate_pem": cert.pem(),
        })
    return keys


def has_private_key(kek_dir: Path, version: int) -> bool:
    """False for a version retired by :func:`renew_signer` (only its certificate is kept)."""
    return (Path(kek_dir) / SIGNING_DIR / f"v{version}" / WRAPPED_FILE).exists()


def _shred(path: Path) -> None:
    # Overwrite in place before unlinking, so a hard link or an open handle sees zeros.
    with contextlib.suppress(FileNotFoundError):
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.write(fd, b"\0" * os.fstat(fd).st_size)
            os.fsync(fd)
        finally:
            os.close(fd)
        path.unlink()


def _first_allowed_signature_algorithm() -> str:
    for name in (DEFAULT_SIGNATURE_ALGORITHM, RSA_PSS_SHA256):
        allowlist = active_allowlist()
        if name in allowlist and name not in allowlist.withdrawn():
            return name
    raise AlgorithmRefused(DEFAULT_SIGNATURE_ALGORITHM,
                           "every signature algorithm of this build is withdrawn")


def renew_signer(kek_dir: Path, provider: KekProvider) -> int:
    """危殆化 of a signing or sealing algorithm (Saitama 第6 1(5)ア(オ)): make a new signing key
    version with algorithms still allowed, then destroy the private halves of every older
    version (crypto-erase: the wrapped DEK is overwritten and removed). Their certificates
    stay, so signatures made before keep verifying. Returns the new version."""
    kek_dir = Path(kek_dir)
    versions = _versions(kek_dir)
    version = (versions[-1] if versions else 0) + 1
    ensure_private_dir(kek_dir / SIGNING_DIR)
    _create_version(kek_dir, provider, version, _first_allowed_signature_algorithm())
    load_signer(kek_dir, provider)  # the new key opens before the old ones are destroyed
    for old in versions:
        directory = kek_dir / SIGNING_DIR / f"v{old}"
        _shred(directory / WRAPPED_FILE)
        _shred(directory / SEALED_FILE)
    return version


def rewrap_signers(kek_dir: Path, provider: KekProvider) -> int:
    """Re-wrap every signing key's DEK under the provider's current KEK version (KEK rotation
    in epochs: call before the old version is destroyed). Returns how many were re-wrapped."""
    kek_dir = Path(kek_dir)
    count = 0
    for version in _versions(kek_dir):
        if not has_private_key(kek_dir, version):
            continue  # retired by renew_signer: nothing left to re-wrap
        directory, key_id = kek_dir / SIGNING_DIR / f"v{version}", signer_key_id(version)
        wrapped = WrappedKey.from_bytes(_read_protected(directory / WRAPPED_FILE))
        # Same test as the object DEKs: a wrap by a withdrawn AEAD (危殆化) is renewed too.
        if is_current(wrapped, provider.current_version()):
            continue
        data_key = provider.unwrap(wrapped, key_id)
        try:
            fresh = provider.wrap(data_key, key_id).to_bytes()
        finally:
            data_key.destroy()
        staging = directory / f".{WRAPPED_FILE}.{random_hex(8)}"
        _write_new(staging, fresh)
        os.replace(staging, directory / WRAPPED_FILE)
        count += 1
    return count
