"""The sealed stream format, version 1: header layout, per-file key and segment nonces.

Layout (all integers big-endian)::

    magic         4   b"SKSH"
    version       1   0x01
    alg_len       1   then alg_len bytes ASCII   content AEAD, "AES-256-GCM" (default) or
                                                 "CHACHA20-POLY1305" (the 危殆化 fallback)
    kdf_len       1   then kdf_len bytes ASCII   file-key KDF, "HKDF-SHA-256"
    key_id_len    1   then key_id_len bytes ASCII  the DEK's key id (1-64 chars)
    segment_size  4   plaintext bytes per segment (every segment but the last is full)
    salt         32   random per file
    nonce_prefix  7   random per file
    segments...       AES-256-GCM(file_key, nonce_i, plaintext_i) = ciphertext_i || tag(16)

    file_key = HKDF-SHA-256(ikm=DEK, salt=salt, info=INFO_LABEL || header, L=32)
    nonce_i  = nonce_prefix(7) || uint32(i) || (0x01 if last segment else 0x00)

A *suite* is the pair (content AEAD, KDF) named in the header. Both AEADs have 256-bit keys,
96-bit nonces and 16-byte tags, so the layout is the same for every suite; the writer takes the
first suite in SUITES whose algorithms are all allowed for new work, so withdrawing AES-256-GCM
moves new objects to ChaCha20-Poly1305 and keys.migrate re-encrypts the old ones.

Both algorithm ids are in the header so a withdrawn algorithm (危殆化, Saitama 第6 1(5)ア(オ))
can be found in stored objects. The whole header is HKDF info, so changing any header byte
changes the file key and the first segment fails to authenticate; the random salt makes the key
per file, so one DEK may seal many files and the 96-bit nonce space is never shared. The index
in the nonce stops reordering and duplication; the last-segment flag stops truncation at a
segment boundary and appending (the Tink AES-GCM-HKDF streaming / age STREAM construction).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from core.errors import DecryptionFailed
from keys.allowlist import AlgorithmRefused, require
from keys.handles import is_valid_key_id

MAGIC = b"SKSH"
FORMAT_VERSION = 1
CONTENT_ALGORITHM = "AES-256-GCM"
CHACHA_ALGORITHM = "CHACHA20-POLY1305"
KDF_ALGORITHM = "HKDF-SHA-256"
INFO_LABEL = b"sekisho sealed v1 file key\x00"

SALT_BYTES = 32
NONCE_PREFIX_BYTES = 7
TAG_BYTES = 16
# 1 MiB (reference/crypto.md): per-segment costs (nonce, tag, Python call) vanish at this size,
# and a reader still holds at most three segment buffers.
DEFAULT_SEGMENT_SIZE = 1024 * 1024
# Bounds on a value read from an untrusted header: the reader allocates one segment at a
# time, so MAX_SEGMENT_SIZE is the reader's memory ceiling; MIN keeps tag overhead sane.
MIN_SEGMENT_SIZE = 16
MAX_SEGMENT_SIZE = 16 * 1024 * 1024
MAX_SEGMENTS = 2**32  # the index is a uint32 in the nonce
_MAX_NAME_BYTES = 64  # algorithm ids and key ids

_U32 = struct.Struct(">I")


class UnsupportedFormatVersion(DecryptionFailed):
    """A sealed stream (right magic) of a format version this build cannot read.

    Not opaque, unlike other failures: the version byte is public and says nothing about the
    key, and the operator needs to know to upgrade rather than suspect tampering.
    """

    code = "unsupported_format_version"
    http_status = 422
    default_message = "the sealed stream uses a format version this version cannot read"


@dataclass(frozen=True)
class SealedSuite:
    """The algorithm ids a sealed stream names in its header."""

    content: str
    kdf: str = KDF_ALGORITHM

    @property
    def algorithms(self) -> frozenset[str]:
        return frozenset((self.content, self.kdf))


# Preference order for new streams (first allowed one wins).
SUITES: tuple[SealedSuite, ...] = (
    SealedSuite(CONTENT_ALGORITHM),
    SealedSuite(CHACHA_ALGORITHM),
)


def require_suite(suite: SealedSuite) -> SealedSuite:
    """A suite for new work: known to this format and none of its algorithms withdrawn."""
    if suite not in SUITES:
        raise AlgorithmRefused(f"{suite.content}+{suite.kdf}", "not a sealed stream v1 suite")
    for algorithm in sorted(suite.algorithms):
        require(algorithm, new_work=True)
    return suite


def default_suite() -> SealedSuite:
    """The suite new streams use under the allow-list in force (危殆化 skips withdrawn ones)."""
    for suite in SUITES:
        try:
            return require_suite(suite)
        except AlgorithmRefused:
            continue
    raise AlgorithmRefused("sealed stream", "every sealed suite uses a withdrawn algorithm")


@dataclass(frozen=True)
class SealedHeader:
    """The parsed header. Reading it needs no key; trusting it needs the first segment."""

    key_id: str
    segment_size: int
    salt: bytes
    nonce_prefix: bytes
    algorithm: str = CONTENT_ALGORITHM
    kdf: str = KDF_ALGORITHM
    version: int = FORMAT_VERSION

    def to_bytes(self) -> bytes:
        return b"".join((
            MAGIC,
            bytes((self.version,)),
            _short_string(self.algorithm),
            _short_string(self.kdf),
            _short_string(self.key_id),
            _U32.pack(self.segment_size),
            self.salt,
            self.nonce_prefix,
        ))

    @property
    def ciphertext_segment_size(self) -> int:
        return self.segment_size + TAG_BYTES

    @property
    def suite(self) -> SealedSuite:
        return SealedSuite(self.algorithm, self.kdf)


def validate_segment_size(segment_size: int) -> int:
    if not MIN_SEGMENT_SIZE <= segment_size <= MAX_SEGMENT_SIZE:
        raise ValueError(
            f"segment size must be {MIN_SEGMENT_SIZE}..{MAX_SEGMENT_SIZE} bytes"
        )
    return segment_size


def segment_nonce(nonce_prefix: bytes, index: int, last: bool) -> bytes:
    if not 0 <= index < MAX_SEGMENTS:
        raise OverflowError("segment index out of range for the sealed format")
    return nonce_prefix + _U32.pack(index) + (b"\x01" if last else b"\x00")


def file_key_info(header: SealedHeader) -> bytes:
    return INFO_LABEL + header.to_bytes()


def _short_string(value: str) -> bytes:
    raw = value.encode("ascii")
    if not 0 < len(raw) <= _MAX_NAME_BYTES:
        raise ValueError("header strings are 1-64 ASCII bytes")
    return bytes((len(raw),)) + raw


# --- parsing (untrusted input: every failure is the one opaque DecryptionFailed) -------------


def read_exact(source: BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes, or fewer only at end of stream (pipes may return short reads)."""
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = source.read(remaining)
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


def _take(source: BinaryIO, size: int) -> bytes:
    data = read_exact(source, size)
    if len(data) != size:
        raise DecryptionFailed()
    return data


def _take_short_string(source: BinaryIO) -> str:
    length = _take(source, 1)[0]
    if not 0 < length <= _MAX_NAME_BYTES:
        raise DecryptionFailed()
    try:
        return _take(source, length).decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionFailed() from None


def parse_header(source: BinaryIO) -> SealedHeader:
    """Read and validate a v1 header, leaving ``source`` at the first segment."""
    if _take(source, len(MAGIC)) != MAGIC:
        raise DecryptionFailed()
    if _take(source, 1)[0] != FORMAT_VERSION:
        raise UnsupportedFormatVersion()
    algorithm = _take_short_string(source)
    kdf = _take_short_string(source)
    key_id = _take_short_string(source)
    (segment_size,) = _U32.unpack(_take(source, _U32.size))
    header = SealedHeader(
        key_id=key_id,
        segment_size=segment_size,
        salt=_take(source, SALT_BYTES),
        nonce_prefix=_take(source, NONCE_PREFIX_BYTES),
        algorithm=algorithm,
        kdf=kdf,
    )
    _check_v1(header)
    return header


def _check_v1(header: SealedHeader) -> None:
    # Version 1 knows exactly the suites above; any other name is corruption or tampering.
    if SealedSuite(header.algorithm, header.kdf) not in SUITES:
        raise DecryptionFailed()
    if not is_valid_key_id(header.key_id):
        raise DecryptionFailed()
    if not MIN_SEGMENT_SIZE <= header.segment_size <= MAX_SEGMENT_SIZE:
        raise DecryptionFailed()
