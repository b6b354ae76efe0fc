"""Opaque key handles (Tink-style): a key object never shows its bytes.

Design: "no key bytes in reprs, logs, task messages or exceptions". A :class:`DataKey` has no
bytes in its repr/str, cannot be pickled, copied or JSON-encoded (so it cannot ride in a Celery
message: tasks take key ids), and hands its material out only through :meth:`secret_bytes`,
which only the recipes in ``keys/`` call (tests/keys/test_keys_hygiene.py enforces it), or
:meth:`export_raw`, which demands the greppable :data:`keys.capabilities.EXPORT_RAW_KEY`.
"""

from __future__ import annotations

import re
from typing import NoReturn

from core.errors import KeyUnavailable
from keys.allowlist import require_allowed
from keys.capabilities import EXPORT_RAW_KEY, Capability, require_capability
from keys.primitives.randomness import random_bytes, random_hex

# What the service records for a DEK (object_keys.algorithm). The DEK itself is the input key
# of the sealed stream's HKDF-SHA-256; the content AEAD is named in each stream's header.
DATA_KEY_ALGORITHM = "AES-256-GCM"
DATA_KEY_KDF = "HKDF-SHA-256"
DATA_KEY_BYTES = 32
KEY_ID_PREFIX = "dek-"
# Key ids travel in headers read from untrusted files, in URLs, logs and a String(64) column:
# a short ASCII alphabet keeps a hostile header from smuggling anything into those places.
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


class DataKey:
    """A data-encryption key (DEK): one per stored object, stored only wrapped under a KEK."""

    __slots__ = ("_destroyed", "_material")

    def __init__(self, material: bytes) -> None:
        # A DEK is 256 bits of HKDF-SHA-256 input: the sealed stream derives a per-file AEAD
        # key from it, so withdrawing one AEAD (危殆化) does not invalidate DEKs.
        require_allowed(DATA_KEY_KDF, key_bits=len(material) * 8, new_work=False)
        self._material = bytearray(material)
        self._destroyed = False

    @property
    def algorithm(self) -> str:
        return DATA_KEY_ALGORITHM

    @property
    def destroyed(self) -> bool:
        return self._destroyed

    def secret_bytes(self) -> bytes:
        """The raw key, for the recipes in ``keys/`` only. Never log or store the result."""
        if self._destroyed:
            raise KeyUnavailable("the data key has been destroyed")
        return bytes(self._material)

    def export_raw(self, capability: Capability) -> bytes:
        """Raw key bytes for code outside ``keys/``; needs :data:`EXPORT_RAW_KEY` (greppable)."""
        require_capability(capability, EXPORT_RAW_KEY)
        return self.secret_bytes()

    def destroy(self) -> None:
        """Zero this handle's copy (Tink state DESTROYED).

        Best effort only: Python may hold other copies. Crypto-erase rests on destroying the
        wrapped DEK and the KEK epoch (第1 3(17)(18)), not on this.
        """
        for i in range(len(self._material)):
            self._material[i] = 0
        self._destroyed = True

    def __repr__(self) -> str:
        state = "destroyed" if self._destroyed else "enabled"
        return f"DataKey(algorithm={DATA_KEY_ALGORITHM!r}, bits={len(self._material) * 8}, {state})"

    __str__ = __repr__

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("a DataKey cannot be pickled or copied: pass key ids, never keys")


def new_data_key() -> DataKey:
    """A fresh random 256-bit DEK (one per object, so crypto-erase can target one object)."""
    require_allowed(DATA_KEY_KDF, key_bits=DATA_KEY_BYTES * 8, new_work=True)
    return DataKey(random_bytes(DATA_KEY_BYTES))


def new_key_id() -> str:
    """A fresh key id: 128 random bits, so ids never collide and never reveal anything."""
    return KEY_ID_PREFIX + random_hex(16)


def is_valid_key_id(key_id: str) -> bool:
    return KEY_ID_PATTERN.fullmatch(key_id) is not None


def require_valid_key_id(key_id: str) -> str:
    if not is_valid_key_id(key_id):
        raise ValueError("a key id is 1-64 characters of A-Z a-z 0-9 . _ : -")
    return key_id
