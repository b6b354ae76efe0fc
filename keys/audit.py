"""The audit chain's MAC key: HMAC-SHA-256 keyed from the KEK directory.

The service chains audit events with SHA-256 and MACs each one; the key lives in the KEK
directory, never in the database, so someone who can rewrite the database cannot re-MAC a
forged chain (design: "every state change writes an audit event into a hash chain").

File: ``audit-mac.key`` (32 random bytes, 0600) beside the KEK files. ``initialise`` creates it
(FileKekProvider.initialise calls it); ``from_kek_dir`` only reads, because silently creating
a fresh key would make every existing MAC fail to verify and hide that the key went missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

from keys.allowlist import require_allowed
from keys.keyfiles import check_private_dir, create_key_file, ensure_private_dir, read_key_file
from keys.primitives.mac import HMAC_SHA256, equal_constant_time, hmac_sha256

AUDIT_MAC_FILE = "audit-mac.key"
AUDIT_MAC_KEY_BYTES = 32


class AuditMac:
    """Signs and verifies audit records. Holds its key; never shows it."""

    __slots__ = ("_key",)
    algorithm = HMAC_SHA256

    def __init__(self, key: bytes) -> None:
        require_allowed(HMAC_SHA256, key_bits=len(key) * 8, new_work=False)
        self._key = key

    @classmethod
    def initialise(cls, kek_dir: Path) -> None:
        """Create the 0700 directory and the MAC key if missing (idempotent)."""
        ensure_private_dir(kek_dir)
        create_key_file(kek_dir / AUDIT_MAC_FILE, AUDIT_MAC_KEY_BYTES)

    @classmethod
    def from_kek_dir(cls, kek_dir: Path) -> AuditMac:
        """Load the key; KeyUnavailable if it was never created or has been removed."""
        check_private_dir(kek_dir)
        return cls(read_key_file(kek_dir / AUDIT_MAC_FILE, AUDIT_MAC_KEY_BYTES))

    def sign(self, data: bytes) -> str:
        """Hex HMAC-SHA-256 of ``data``."""
        return hmac_sha256(self._key, data).hex()

    def verify(self, data: bytes, mac: str) -> bool:
        """Constant-time check of a hex MAC; a malformed ``mac`` is simply False."""
        expected = hmac_sha256(self._key, data, new_work=False).hex().encode("ascii")
        return equal_constant_time(expected, mac.encode("utf-8", "replace"))

    def __repr__(self) -> str:
        return f"AuditMac({HMAC_SHA256})"

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("an AuditMac holds key material and cannot be pickled")
