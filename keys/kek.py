"""The KEK provider interface: whatever holds the key-encryption key.

Design: DEKs are stored only wrapped under a KEK that is never in the database. The default
provider is a key file (:class:`keys.kek_file.FileKekProvider`); production adds a PKCS#11
token (SoftHSM2 in tests) behind this same protocol, with the wrap done inside the token.

Every wrapped blob records the KEK version, so KEK rotation in epochs (re-wrap live DEKs, then
destroy the old version: reference/crypto.md, crypto-erase of backups) fits without a format
change.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from keys.handles import DataKey
from keys.wrapped import WrappedKey


@runtime_checkable
class KekProvider(Protocol):
    """Wraps and unwraps DEKs. Implementations never expose KEK bytes."""

    def current_version(self) -> int:
        """The KEK version new wraps use. Raises KeyUnavailable if there is none."""
        ...

    def wrap(self, data_key: DataKey, key_id: str) -> WrappedKey:
        """Wrap ``data_key`` bound to ``key_id`` (associated data) under the current KEK."""
        ...

    def unwrap(self, wrapped: WrappedKey, key_id: str) -> DataKey:
        """DecryptionFailed if the blob or key id is wrong; KeyUnavailable if the KEK is gone."""
        ...
