"""The default KEK provider: AES-256 keys in files in their own 0700 directory.

Files in the KEK directory (permissions enforced by :mod:`keys.keyfiles`)::

    kek-v1.key      32 random bytes, mode 0600 (later epochs: kek-v2.key, ... after rotation)
    audit-mac.key   32 random bytes, mode 0600 (the audit chain's HMAC key, keys.audit)

Wrapping is AES-256-GCM with the key id as associated data; AES-KW is not on the CRYPTREC list
(reference/crypto.md). If AES-256-GCM is withdrawn (危殆化) new wraps use ChaCha20-Poly1305,
the next listed AEAD, and the wrapped blob names which one (keys.wrapped). Nonces are random
96-bit; NIST SP 800-38D bounds one key to 2**32 random nonces, far beyond one KEK epoch's DEK
count, and rotation starts a fresh key anyway.

Rotation (keys.epochs): :meth:`create_version` adds ``kek-v{N+1}.key``; :meth:`destroy_version`
overwrites and unlinks an old one, after which blobs it wrapped (in backups too) never unwrap.

CRY-10 (Saitama 第8 1(5)ア: decryption keys not on internet-connected computers) is why
production uses PKCS#11 instead; this provider is the one-machine default.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NoReturn

from core.errors import Conflict, DecryptionFailed, KeyUnavailable
from keys.audit import AuditMac
from keys.handles import DataKey, require_valid_key_id
from keys.kek import kek_label
from keys.keyfiles import (
    check_private_dir,
    create_key_file,
    destroy_key_file,
    ensure_private_dir,
    read_key_file,
)
from keys.primitives.aead import AEAD_PREFERENCE, Aead, aead_for, preferred_aead
from keys.primitives.randomness import random_bytes
from keys.wrapped import NONCE_BYTES, WrappedKey

WRAP_ALGORITHM = "AES-256-GCM"
KEK_BYTES = 32
_KEK_FILE = re.compile(r"kek-v([1-9][0-9]{0,8})\.key")


def kek_file_name(version: int) -> str:
    return f"{kek_label(version)}.key"


class FileKekProvider:
    """KEK provider backed by ``kek-v{N}.key`` files. Holds no key bytes between calls."""

    def __init__(self, kek_dir: Path) -> None:
        self.kek_dir = Path(kek_dir)

    def __repr__(self) -> str:
        return f"FileKekProvider(kek_dir={str(self.kek_dir)!r})"

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        # It holds only a path, but a provider riding in a task message would invite passing
        # key handles around: tasks take ids and build their own provider from settings.
        raise TypeError("a KEK provider cannot be pickled or copied")

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

    def create_version(self) -> int:
        """Add the next epoch's KEK; concurrent callers end with one new file, never two."""
        version = self.current_version() + 1
        create_key_file(self.kek_dir / kek_file_name(version), KEK_BYTES)
        return version

    def destroy_version(self, version: int) -> None:
        if version >= self.current_version():
            raise Conflict("the current KEK version cannot be destroyed; rotate first")
        destroy_key_file(self.kek_dir / kek_file_name(version))

    def residue_paths(self) -> tuple[Path, ...]:
        return (self.kek_dir,)

    def wrap(self, data_key: DataKey, key_id: str) -> WrappedKey:
        return self._wrap_with_nonce(data_key, key_id, random_bytes(NONCE_BYTES))

    def _wrap_with_nonce(self, data_key: DataKey, key_id: str, nonce: bytes) -> WrappedKey:
        # Separate from wrap() only so the known-answer test can fix the nonce.
        algorithm = preferred_aead()
        version = self.current_version()
        shell = WrappedKey(algorithm, version, nonce, b"")
        aad = shell.associated_data(require_valid_key_id(key_id))
        ciphertext = self._cipher(algorithm, version).encrypt(nonce, data_key.secret_bytes(), aad)
        return WrappedKey(algorithm, version, nonce, ciphertext)

    def unwrap(self, wrapped: WrappedKey, key_id: str) -> DataKey:
        if wrapped.algorithm not in AEAD_PREFERENCE:
            raise DecryptionFailed()  # this provider only ever wrote these AEADs
        cipher = self._cipher(wrapped.algorithm, wrapped.kek_version)
        aad = wrapped.associated_data(require_valid_key_id(key_id))
        return DataKey(cipher.decrypt(wrapped.nonce, wrapped.ciphertext, aad))

    def _cipher(self, algorithm: str, version: int) -> Aead:
        check_private_dir(self.kek_dir)
        if version < 1:
            raise KeyUnavailable("no such KEK version")
        return aead_for(algorithm, read_key_file(self.kek_dir / kek_file_name(version), KEK_BYTES))
