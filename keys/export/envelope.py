"""The sealed export envelope, version 1: who may open a sealed stream, and how.

An export for a recipient is an envelope header followed by a sealed stream v1
(:mod:`keys.sealed_format`). Layout (integers big-endian)::

    magic          4  b"SKXP"
    version        1  0x01  (another value: unsupported_format_version)
    method_len     1  then ASCII  "RSA-OAEP-SHA-256" | "ECDH-P256" | "PBKDF2-HMAC-SHA-256"
    kdf_len        1  then ASCII  "HKDF-SHA-256"
    params_len     2  then params_len bytes, by method:
        RSA-OAEP-SHA-256     recipient SPKI SHA-256 (32) || uint16 n || OAEP(CEK) (n)
        ECDH-P256            recipient SPKI SHA-256 (32) || ephemeral point (65, uncompressed)
        PBKDF2-HMAC-SHA-256  iterations uint32 || salt (32)
    sealed stream v1 ("SKSH" ...), key id "export", under DEK

    K   = CEK (32 random bytes) | ECDH shared secret | PBKDF2(password, salt, iterations)
    DEK = HKDF-SHA-256(ikm=K, salt="", info=DEK_INFO || envelope header)

Every algorithm is named in the header (design: a withdrawn algorithm can be found). The whole
envelope header is HKDF info, so changing any byte of it (method, parameters, wrapped key)
changes the DEK and the stream's first segment fails: one opaque ``decryption_failed``, the same
as a wrong key or password. Only the version byte is reported on its own, because a recipient
with an old sekisho needs to be told to update.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from core.errors import DecryptionFailed
from keys.export.errors import UnsupportedFormatVersion
from keys.primitives.asymmetric import ECDH_P256, P256_POINT_BYTES, RSA_OAEP
from keys.primitives.pbkdf2 import ALGORITHM as PBKDF2
from keys.primitives.pbkdf2 import MAX_ITERATIONS, MIN_ITERATIONS
from keys.sealed_format import read_exact

MAGIC = b"SKXP"
FORMAT_VERSION = 1
KDF = "HKDF-SHA-256"
DEK_INFO = b"sekisho export v1 data key\x00"
INNER_KEY_ID = "export"
FINGERPRINT_BYTES = 32
SALT_BYTES = 32
MAX_PARAMS_BYTES = 4096  # an RSA-16384 OAEP block fits; bounds what a hostile header allocates
METHODS = (RSA_OAEP, ECDH_P256, PBKDF2)

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")


@dataclass(frozen=True)
class RsaOaepParams:
    fingerprint: bytes
    encrypted_key: bytes

    def to_bytes(self) -> bytes:
        return self.fingerprint + _U16.pack(len(self.encrypted_key)) + self.encrypted_key


@dataclass(frozen=True)
class EcdhParams:
    fingerprint: bytes
    ephemeral_point: bytes

    def to_bytes(self) -> bytes:
        return self.fingerprint + self.ephemeral_point


@dataclass(frozen=True)
class PasswordParams:
    iterations: int
    salt: bytes

    def to_bytes(self) -> bytes:
        return _U32.pack(self.iterations) + self.salt


Params = RsaOaepParams | EcdhParams | PasswordParams
_METHOD_OF = {RsaOaepParams: RSA_OAEP, EcdhParams: ECDH_P256, PasswordParams: PBKDF2}


@dataclass(frozen=True)
class EnvelopeHeader:
    params: Params
    version: int = FORMAT_VERSION
    kdf: str = KDF

    @property
    def method(self) -> str:
        return _METHOD_OF[type(self.params)]

    def to_bytes(self) -> bytes:
        params = self.params.to_bytes()
        if len(params) > MAX_PARAMS_BYTES:
            raise ValueError("envelope parameters are too long")
        return b"".join((
            MAGIC, bytes((self.version,)), _short(self.method), _short(self.kdf),
            _U16.pack(len(params)), params,
        ))

    def dek_info(self) -> bytes:
        return DEK_INFO + self.to_bytes()


def _short(value: str) -> bytes:
    raw = value.encode("ascii")
    return bytes((len(raw),)) + raw


# --- parsing: untrusted input; every failure but the version is the opaque DecryptionFailed --


def _take(source: BinaryIO, size: int) -> bytes:
    data = read_exact(source, size)
    if len(data) != size:
        raise DecryptionFailed()
    return data


def _take_short(source: BinaryIO) -> str:
    raw = _take(source, _take(source, 1)[0])
    return raw.decode("ascii", errors="replace")


def parse_envelope(source: BinaryIO) -> EnvelopeHeader:
    """Read the header, leaving ``source`` at the sealed stream. Unauthenticated until the
    stream's first segment decrypts under the DEK derived from it."""
    if _take(source, len(MAGIC)) != MAGIC:
        raise DecryptionFailed()
    version = _take(source, 1)[0]
    if version != FORMAT_VERSION:
        raise UnsupportedFormatVersion(
            f"this export uses envelope format version {version}; this sekisho reads "
            f"version {FORMAT_VERSION} only"
        )
    method, kdf = _take_short(source), _take_short(source)
    (length,) = _U16.unpack(_take(source, _U16.size))
    if kdf != KDF or method not in METHODS or length > MAX_PARAMS_BYTES:
        raise DecryptionFailed()
    return EnvelopeHeader(_parse_params(method, _take(source, length)))


def _parse_params(method: str, raw: bytes) -> Params:
    if method == RSA_OAEP:
        return _parse_rsa(raw)
    if method == ECDH_P256:
        if len(raw) != FINGERPRINT_BYTES + P256_POINT_BYTES:
            raise DecryptionFailed()
        return EcdhParams(raw[:FINGERPRINT_BYTES], raw[FINGERPRINT_BYTES:])
    if len(raw) != _U32.size + SALT_BYTES:
        raise DecryptionFailed()
    (iterations,) = _U32.unpack_from(raw)
    if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        raise DecryptionFailed()
    return PasswordParams(iterations, raw[_U32.size:])


def _parse_rsa(raw: bytes) -> RsaOaepParams:
    head = FINGERPRINT_BYTES + _U16.size
    if len(raw) < head:
        raise DecryptionFailed()
    (length,) = _U16.unpack_from(raw, FINGERPRINT_BYTES)
    if length == 0 or len(raw) != head + length:
        raise DecryptionFailed()
    return RsaOaepParams(raw[:FINGERPRINT_BYTES], raw[head:])
