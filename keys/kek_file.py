"""The default KEK provider: AES-256 keys in files in their own 0700 directory.

Files in the KEK directory (permissions enforced by :mod:`keys.keyfiles`)::

    kek-v1.key      32 random bytes, mode 0600 (later versions: kek-v2.key, ... after rotation)
    audit-mac.key   32 random bytes, mode 0600 (the audit chain's HMAC key, keys.audit)

Wrapping is AES-256-GCM with the key id as associated data; AES-KW is not on the CRYPTREC list
(reference/crypto.md). Nonces are random 96-bit; NIST SP 800-38D bounds one key to 2**32 random
nonces, far beyond one KEK epoch's DEK count, and rotation starts a fresh key anyway.

CRY-10 (Saitama 第8 1(5)ア: decryption keys not on internet-connected computers) is why
production uses PKCS#11 instead; this provider is the one-machine default.
"""

from __future__ import annotations

import re
from pathlib import Path

from core.errors import DecryptionFailed, KeyUnavailable
from keys.audit import AuditMac
from keys.handles import DataKey, require_valid_key_id
from keys.keyfiles import check_private_dir, create_key_file, ensure_private_dir, read_key_file
from keys.primitives.aead import Aes256Gcm
from keys.primitives.randomness import random_bytes
from keys.wrapped import NONCE_BYTES, WrappedKey

WRAP_ALGORITHM = "AES-256-GCM"
KEK_BYTES = 32
_KEK_FILE = re.compile(r"kek-v([1-9][0-9]{0,8})\.key")


def kek_file_name(version: int) -> str:
    return f"kek-v{version}.key"


class FileKekProvider:
    """KEK provider backed by ``kek-v{N}.key`` files. Holds no key bytes between calls."""

    def __init__(self, kek_dir: Path) -> None:
        self.kek_dir = Path(kek_dir)

    def __repr__(self) -> str:
        return f"FileKekProvider(kek_dir={str(self.kek_dir)!r})"

    def initialise(self) -> None:
        """Create the 0700 directory, KEK v1 and the audit MAC key. Idempotent: existing keys
        are kept (replacing a KEK would make every wrapped DEK undecryptable)."""
        ensure_private_dir(self.kek_dir)
        if not self.versions():
            create_key_file(self.kek_dir / kek_file_name(1), KEK_BYTES)
        AuditMac.initialise(self.kek_dir)

    def versions(self) -> tuple[int, ...]:
        """KEK versions present on disk, ascending."""
        check_private_dir(self.kek_dir)
        found = (_KEK_FILE.fullmatch(p.name) for p in self.kek_dir.iterdir())
        return tuple(sorted(int(m.group(1)) for m in found if m))

    def current_version(self) -> int:
        versions = self.versions()
        if not versions:
            raise KeyUnavailable("no KEK in the key directory (run initialise)")
        return versions[-1]

    def wrap(self, data_key: DataKey, key_id: str) -> WrappedKey:
        return self._wrap_with_nonce(data_key, key_id, random_bytes(NONCE_BYTES))

    def _wrap_with_nonce(self, data_key: DataKey, key_id: str, nonce: bytes) -> WrappedKey:
        # Separate from wrap() only so the known-answer test can fix the nonce.
        version = self.current_version()
        shell = WrappedKey(WRAP_ALGORITHM, version, nonce, b"")
        aad = shell.associated_data(require_valid_key_id(key_id))
        ciphertext = self._cipher(version).encrypt(nonce, data_key.secret_bytes(), aad)
        return WrappedKey(WRAP_ALGORITHM, version, nonce, ciphertext)

    def unwrap(self, wrapped: WrappedKey, key_id: str) -> DataKey:
        if wrapped.algorithm != WRAP_ALGORITHM:
            raise DecryptionFailed()  # this provider only ever wrote AES-256-GCM blobs
        cipher = self._cipher(wrapped.kek_version)
        aad = wrapped.associated_data(require_valid_key_id(key_id))
        return DataKey(cipher.decrypt(wrapped.nonce, wrapped.ciphertext, aad))

    def _cipher(self, version: int) -> Aes256Gcm:
        check_private_dir(self.kek_dir)
        return Aes256Gcm(read_key_file(self.kek_dir / kek_file_name(version), KEK_BYTES))
