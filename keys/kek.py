"""The KEK provider interface: whatever holds the key-encryption key.

Design: DEKs are stored only wrapped under a KEK that is never in the database. The default
provider is a key file (:class:`keys.kek_file.FileKekProvider`); production uses a PKCS#11
token (:class:`keys.kek_pkcs11.Pkcs11KekProvider`, SoftHSM2 in tests) behind this same
protocol, with the wrap done inside the token.

KEK epochs (reference/crypto.md, crypto-erase of backups): versions are numbered 1, 2, ...
(``kek-v1``, ``kek-v2``); every wrapped blob records the version that wrapped it. Rotation
(:mod:`keys.epochs`) creates a new version, re-wraps the live DEKs under it and then destroys
the old versions, so every copy of an erased DEK in a backup taken earlier stops unwrapping
(Saitama 第1 3(17)(18)).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from keys.handles import DataKey
from keys.wrapped import WrappedKey

KEK_LABEL_PREFIX = "kek-v"


def kek_label(version: int) -> str:
    """The name of a KEK version: ``kek-v1``, ``kek-v2``... (file stem or token label)."""
    if version < 1:
        raise ValueError("KEK versions start at 1")
    return f"{KEK_LABEL_PREFIX}{version}"


@runtime_checkable
class KekProvider(Protocol):
    """Wraps and unwraps DEKs. Implementations never expose KEK bytes, and refuse to be
    printed with secrets, pickled or copied (design: key handles are opaque)."""

    def initialise(self) -> None:
        """Create version 1 when there is no KEK yet (idempotent)."""
        ...

    def current_version(self) -> int:
        """The KEK version new wraps use. Raises KeyUnavailable if there is none."""
        ...

    def wrap(self, data_key: DataKey, key_id: str) -> WrappedKey:
        """Wrap ``data_key`` bound to ``key_id`` (associated data) under the current KEK."""
        ...

    def unwrap(self, wrapped: WrappedKey, key_id: str) -> DataKey:
        """DecryptionFailed if the blob or key id is wrong; KeyUnavailable if the KEK version
        is gone (destroyed by a rotation)."""
        ...

    def versions(self) -> tuple[int, ...]:
        """KEK versions that still exist, ascending."""
        ...

    def create_version(self) -> int:
        """Create the next version (it becomes current at once) and return its number."""
        ...

    def destroy_version(self, version: int) -> None:
        """Destroy one version for good. Refuses the current version. Idempotent."""
        ...

    def residue_paths(self) -> tuple[Path, ...]:
        """Files or directories that hold this provider's key store, for the crypto-erase
        check that no copy of a wrapped DEK survives there (empty if not knowable)."""
        ...
