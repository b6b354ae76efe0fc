"""AES-256-GCM as a stream, for containers that put the tag apart from the ciphertext.

CMS AuthEnvelopedData (RFC 5083/5084) stores the GCM tag in its own ``mac`` field after the
ciphertext, so an export of any size is encrypted in constant memory with one key and one
96-bit nonce (a fresh random key per export: the nonce is never reused under it).
"""

from __future__ import annotations

from typing import NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from core.errors import DecryptionFailed
from keys.allowlist import require_allowed

ALGORITHM = "AES-256-GCM"
TAG_BYTES = 16


class Aes256GcmStreamEncryptor:
    """Feed plaintext with :meth:`update`; :meth:`finalize` returns the 16-byte tag."""

    __slots__ = ("_encryptor", "_finished")

    def __init__(self, key: bytes, nonce: bytes) -> None:
        require_allowed(ALGORITHM, key_bits=len(key) * 8, nonce_len=len(nonce), new_work=True)
        self._encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
        self._finished = False

    def update(self, plaintext: bytes) -> bytes:
        return self._encryptor.update(plaintext)

    def finalize(self) -> bytes:
        if self._finished:
            raise ValueError("the stream is already finalised")
        self._finished = True
        rest = self._encryptor.finalize()
        if rest:  # GCM is a stream mode: nothing is held back
            raise ValueError("unexpected trailing ciphertext")
        return self._encryptor.tag

    def __repr__(self) -> str:
        return f"Aes256GcmStreamEncryptor({ALGORITHM})"

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("cipher objects hold key material and cannot be pickled")


class Aes256GcmStreamDecryptor:
    """The opening side: :meth:`update` returns UNAUTHENTICATED plaintext, so the caller
    writes it somewhere private and discards it unless :meth:`finalize` accepts the tag."""

    __slots__ = ("_decryptor", "_finished")

    def __init__(self, key: bytes, nonce: bytes) -> None:
        if len(nonce) != 12:
            raise DecryptionFailed()  # another nonce length is not on the list: opaque
        require_allowed(ALGORITHM, key_bits=len(key) * 8, nonce_len=len(nonce), new_work=False)
        self._decryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).decryptor()
        self._finished = False

    def update(self, ciphertext: bytes) -> bytes:
        return self._decryptor.update(ciphertext)

    def finalize(self, tag: bytes) -> None:
        """Raise DecryptionFailed unless ``tag`` authenticates everything fed so far."""
        if self._finished:
            raise ValueError("the stream is already finalised")
        self._finished = True
        if len(tag) != TAG_BYTES:
            raise DecryptionFailed()
        try:
            self._decryptor.finalize_with_tag(tag)
        except InvalidTag:
            raise DecryptionFailed() from None

    def __repr__(self) -> str:
        return f"Aes256GcmStreamDecryptor({ALGORITHM})"

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("cipher objects hold key material and cannot be pickled")
