"""AES-256-GCM with a 96-bit nonce, the one AEAD the recipes use (CRYPTREC 認証暗号).

Failures to decrypt raise :class:`DecryptionFailed` and nothing else: the caller never learns
whether the key, the nonce, the associated data or the tag was wrong (design: opaque decryption).
"""

from __future__ import annotations

from typing import NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import DecryptionFailed
from keys.allowlist import require_allowed

ALGORITHM = "AES-256-GCM"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16


class Aes256Gcm:
    """One key, many messages: build once per key and reuse (the sealed stream does)."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        # Key size is checked here; withdrawal (危殆化) is checked per call, since decrypting
        # existing data stays allowed when encrypting new data is not.
        require_allowed(ALGORITHM, key_bits=len(key) * 8, new_work=False)
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return f"Aes256Gcm({ALGORITHM})"

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("cipher objects hold key material and cannot be pickled")

    def encrypt(self, nonce: bytes, plaintext: bytes, aad: bytes | None = None) -> bytes:
        """Return ciphertext || 16-byte tag."""
        require_allowed(ALGORITHM, nonce_len=len(nonce), new_work=True)
        return self._aead.encrypt(nonce, plaintext, aad)

    def decrypt(self, nonce: bytes, ciphertext: bytes, aad: bytes | None = None) -> bytes:
        require_allowed(ALGORITHM, nonce_len=len(nonce), new_work=False)
        if len(ciphertext) < TAG_BYTES:
            raise DecryptionFailed()
        try:
            return self._aead.decrypt(nonce, ciphertext, aad)
        except (InvalidTag, ValueError, OverflowError):
            # `from None`: no library detail crosses the boundary (opaque by design).
            raise DecryptionFailed() from None


def aes256gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes | None) -> bytes:
    return Aes256Gcm(key).encrypt(nonce, plaintext, aad)


def aes256gcm_decrypt(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes | None) -> bytes:
    return Aes256Gcm(key).decrypt(nonce, ciphertext, aad)
