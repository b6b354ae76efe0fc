"""The wrapped-DEK blob: what the database stores instead of a key.

Layout (integers big-endian)::

    magic        4   b"SKWK"
    version      1   0x01
    alg_len      1   then alg_len bytes ASCII: the wrapping algorithm, "AES-256-GCM"
    kek_version  4   which KEK (epoch) wrapped it; rotation re-wraps under a newer one
    nonce       12   random
    ciphertext  48   AES-256-GCM(KEK, nonce, DEK) || tag

    associated data = the header above (magic..kek_version) || key id (ASCII)

AES-KW is not on the CRYPTREC list, so wrapping is AES-256-GCM with the key id as associated
data (reference/crypto.md): a wrapped DEK moved to another key id does not unwrap. The KEK
version is authenticated too. The header is self-delimiting, so header || key id is unambiguous.

Wrapped bytes are not secret, but they are what crypto-erase destroys and then searches the
key store for (第1 3(17)(18)): a copy in a log would survive the erase, so reprs hide them too.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from core.errors import DecryptionFailed

MAGIC = b"SKWK"
FORMAT_VERSION = 1
NONCE_BYTES = 12
_U32 = struct.Struct(">I")
_MAX_ALG_BYTES = 64
_MAX_CIPHERTEXT_BYTES = 1024  # a wrapped AES-256 key is 48; room for longer keys later


@dataclass(frozen=True)
class WrappedKey:
    algorithm: str
    kek_version: int
    nonce: bytes = field(repr=False)
    ciphertext: bytes = field(repr=False)

    def header(self) -> bytes:
        alg = self.algorithm.encode("ascii")
        return MAGIC + bytes((FORMAT_VERSION, len(alg))) + alg + _U32.pack(self.kek_version)

    def associated_data(self, key_id: str) -> bytes:
        return self.header() + key_id.encode("ascii")

    def to_bytes(self) -> bytes:
        return self.header() + self.nonce + self.ciphertext

    @classmethod
    def from_bytes(cls, blob: bytes) -> WrappedKey:
        """Parse a stored blob; anything malformed is the opaque DecryptionFailed."""
        try:
            return _parse(blob)
        except (IndexError, ValueError, struct.error):
            raise DecryptionFailed() from None


def _parse(blob: bytes) -> WrappedKey:
    if blob[:4] != MAGIC or blob[4] != FORMAT_VERSION:
        raise ValueError("not a wrapped key")
    alg_len = blob[5]
    if not 0 < alg_len <= _MAX_ALG_BYTES:
        raise ValueError("bad algorithm length")
    offset = 6 + alg_len
    algorithm = blob[6:offset].decode("ascii")
    (kek_version,) = _U32.unpack_from(blob, offset)
    offset += _U32.size
    nonce = blob[offset:offset + NONCE_BYTES]
    ciphertext = blob[offset + NONCE_BYTES:]
    if len(nonce) != NONCE_BYTES or not 0 < len(ciphertext) <= _MAX_CIPHERTEXT_BYTES:
        raise ValueError("bad lengths")
    return WrappedKey(algorithm, kek_version, nonce, ciphertext)
