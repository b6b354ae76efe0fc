"""The AEADs the recipes use: AES-256-GCM (the default) and ChaCha20-Poly1305 (CRYPTREC 認証暗号),
both with 256-bit keys, 96-bit nonces and 16-byte tags, so one stream format serves both and a
withdrawn one (危殆化, Saitama 第6 1(5)ア(オ)) can be replaced by the other.

Failures to decrypt raise :class:`DecryptionFailed` and nothing else: the caller never learns
whether the key, the nonce, the associated data or the tag was wrong (design: opaque decryption).

``encrypt_into`` / ``decrypt_into`` write into caller-owned buffers: the sealed stream reuses one
buffer per segment instead of allocating, which is most of the gap between ~1.5 GB/s and the
OpenSSL ceiling (reference/crypto.md, Throughput).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from core.errors import DecryptionFailed
from keys.allowlist import AlgorithmRefused, require

ALGORITHM = "AES-256-GCM"
CHACHA_ALGORITHM = "CHACHA20-POLY1305"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16

_Buffer = bytes | bytearray | memoryview


class _Backend(Protocol):
    def encrypt(self, nonce: _Buffer, data: _Buffer, aad: _Buffer | None) -> bytes: ...
    def decrypt(self, nonce: _Buffer, data: _Buffer, aad: _Buffer | None) -> bytes: ...
    def encrypt_into(
        self, nonce: _Buffer, data: _Buffer, aad: _Buffer | None, buf: _Buffer
    ) -> int: ...
    def decrypt_into(
        self, nonce: _Buffer, data: _Buffer, aad: _Buffer | None, buf: _Buffer
    ) -> int: ...


class Aead:
    """One key, many messages: build once per key and reuse (the sealed stream does)."""

    __slots__ = ("_aead", "algorithm")

    def __init__(self, algorithm: str, backend: _Backend) -> None:
        self.algorithm = algorithm
        self._aead = backend

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.algorithm})"

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("cipher objects hold key material and cannot be pickled")

    def encrypt(self, nonce: bytes, plaintext: _Buffer, aad: bytes | None = None) -> bytes:
        """Return ciphertext || 16-byte tag."""
        # Withdrawal (危殆化) is checked per call, since decrypting existing data stays allowed
        # when encrypting new data is not.
        require(self.algorithm, nonce_len=len(nonce), new_work=True)
        return self._aead.encrypt(nonce, plaintext, aad)

    def encrypt_into(
        self, nonce: bytes, plaintext: _Buffer, out: _Buffer, aad: bytes | None = None
    ) -> int:
        """Write ciphertext || tag into ``out`` (len(plaintext) + 16 bytes); returns the count."""
        require(self.algorithm, nonce_len=len(nonce), new_work=True)
        return self._aead.encrypt_into(nonce, plaintext, aad, out)

    def decrypt(self, nonce: bytes, ciphertext: _Buffer, aad: bytes | None = None) -> bytes:
        require(self.algorithm, nonce_len=len(nonce), new_work=False)
        if len(ciphertext) < TAG_BYTES:
            raise DecryptionFailed()
        try:
            return self._aead.decrypt(nonce, ciphertext, aad)
        except (InvalidTag, ValueError, OverflowError):
            # `from None`: no library detail crosses the boundary (opaque by design).
            raise DecryptionFailed() from None

    def decrypt_into(
        self, nonce: bytes, ciphertext: _Buffer, out: _Buffer, aad: bytes | None = None
    ) -> int:
        """Verify and write the plaintext into ``out``; on failure ``out`` holds nothing usable
        (OpenSSL may have written unauthenticated bytes: callers discard the buffer)."""
        require(self.algorithm, nonce_len=len(nonce), new_work=False)
        if len(ciphertext) < TAG_BYTES:
            raise DecryptionFailed()
        try:
            return self._aead.decrypt_into(nonce, ciphertext, aad, out)
        except (InvalidTag, ValueError, OverflowError):
            raise DecryptionFailed() from None


class Aes256Gcm(Aead):
    __slots__ = ()

    def __init__(self, key: bytes) -> None:
        require(ALGORITHM, key_bits=len(key) * 8, new_work=False)
        super().__init__(ALGORITHM, AESGCM(key))


class ChaCha20Poly1305Aead(Aead):
    __slots__ = ()

    def __init__(self, key: bytes) -> None:
        require(CHACHA_ALGORITHM, key_bits=len(key) * 8, new_work=False)
        super().__init__(CHACHA_ALGORITHM, ChaCha20Poly1305(key))


_BY_ID: dict[str, Callable[[bytes], Aead]] = {
    ALGORITHM: Aes256Gcm,
    CHACHA_ALGORITHM: ChaCha20Poly1305Aead,
}
# Preference order for new work: the first one that is not withdrawn is the default.
AEAD_PREFERENCE: tuple[str, ...] = (ALGORITHM, CHACHA_ALGORITHM)


def preferred_aead() -> str:
    """The AEAD id new work uses: the first in AEAD_PREFERENCE that is allowed and not
    withdrawn (危殆化 moves new work to the next one without a code change)."""
    for algorithm in AEAD_PREFERENCE:
        try:
            require(algorithm, key_bits=KEY_BYTES * 8, new_work=True)
        except AlgorithmRefused:
            continue
        return algorithm
    raise AlgorithmRefused("AEAD", "every listed AEAD is withdrawn or not designated")


def aead_for(algorithm: str, key: bytes) -> Aead:
    """The AEAD named by a stored id; ids we do not implement are refused by the list first."""
    require(algorithm, key_bits=len(key) * 8, new_work=False)
    cls = _BY_ID.get(algorithm)
    if cls is None:
        raise DecryptionFailed()  # listed, but not an AEAD we write: cannot be our data
    return cls(key)


def aes256gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes | None) -> bytes:
    return Aes256Gcm(key).encrypt(nonce, plaintext, aad)


def aes256gcm_decrypt(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes | None) -> bytes:
    return Aes256Gcm(key).decrypt(nonce, ciphertext, aad)
