"""Sealed streams: encrypt from the first byte, in constant memory, for any size.

The at-rest format of every stored object (design: "no plaintext at rest"; Saitama 第1
3(17)(18): crypto-erase only works if data was encrypted when recorded). The byte layout and
its security argument are in :mod:`keys.sealed_format`.

Writing::

    with SealedWriter(sink, data_key, key_id) as writer:   # header written at once
        for chunk in upload:
            writer.write(chunk)                             # any sizes
    # leaving the block normally writes the final segment; an exception aborts instead

Reading: :func:`iter_sealed` yields each segment's plaintext only after that segment has
authenticated, but a LATER segment may still fail (tampered, truncated, appended to). A caller
must treat the plaintext as untrusted and incomplete until the iterator is exhausted without
:class:`DecryptionFailed`: stream into a private temporary location and discard it on failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import BinaryIO

from core.errors import DecryptionFailed, LimitExceeded
from keys.allowlist import require_allowed
from keys.handles import DataKey, require_valid_key_id
from keys.primitives.aead import Aes256Gcm
from keys.primitives.kdf import hkdf_sha256
from keys.primitives.randomness import random_bytes
from keys.sealed_format import (
    CONTENT_ALGORITHM,
    DEFAULT_SEGMENT_SIZE,
    MAX_SEGMENTS,
    NONCE_PREFIX_BYTES,
    SALT_BYTES,
    TAG_BYTES,
    SealedHeader,
    file_key_info,
    parse_header,
    read_exact,
    segment_nonce,
    validate_segment_size,
)


def _file_cipher(data_key: DataKey, header: SealedHeader, *, new_work: bool) -> Aes256Gcm:
    file_key = hkdf_sha256(
        data_key.secret_bytes(),
        salt=header.salt,
        info=file_key_info(header),
        new_work=new_work,
    )
    return Aes256Gcm(file_key)


class SealedWriter:
    """A write-only file-like sink that seals everything written to it into ``sink``.

    Deliberately NOT an ``io.IOBase``: IOBase's finaliser calls ``close()``, which here would
    write the final segment and make an interrupted upload look complete. An abandoned writer
    leaves a stream without a final segment, which never decrypts.
    """

    def __init__(
        self,
        sink: BinaryIO,
        data_key: DataKey,
        key_id: str,
        *,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        _salt: bytes | None = None,
        _nonce_prefix: bytes | None = None,
    ) -> None:
        # _salt / _nonce_prefix exist only for the known-answer tests; production draws both
        # from the OS CSPRNG.
        # Refuse a withdrawn (危殆化) algorithm before the header goes out, not at the first
        # full segment.
        require_allowed(CONTENT_ALGORITHM, new_work=True)
        self._header = SealedHeader(
            key_id=require_valid_key_id(key_id),
            segment_size=validate_segment_size(segment_size),
            salt=_fixed_or_random(_salt, SALT_BYTES),
            nonce_prefix=_fixed_or_random(_nonce_prefix, NONCE_PREFIX_BYTES),
        )
        self._cipher = _file_cipher(data_key, self._header, new_work=True)
        self._sink = sink
        self._buffer = bytearray()
        self._index = 0
        self._closed = False
        self.plaintext_bytes = 0
        sink.write(self._header.to_bytes())

    def __repr__(self) -> str:
        return f"SealedWriter(key_id={self._header.key_id!r}, closed={self._closed})"

    @property
    def header(self) -> SealedHeader:
        return self._header

    @property
    def closed(self) -> bool:
        return self._closed

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Buffer ``data``; every full segment that is known not to be the last goes out."""
        if self._closed:
            raise ValueError("write to a closed SealedWriter")
        self._buffer += data
        size = self._header.segment_size
        # Strictly greater: a full buffer may turn out to be the final segment.
        while len(self._buffer) > size:
            self._emit(bytes(self._buffer[:size]), last=False)
            del self._buffer[:size]
        written = len(data) if not isinstance(data, memoryview) else data.nbytes
        self.plaintext_bytes += written
        return written

    def flush(self) -> None:
        self._sink.flush()

    def close(self) -> None:
        """Write the final segment (one exists even for an empty stream). Idempotent."""
        if self._closed:
            return
        self._emit(bytes(self._buffer), last=True)
        self._buffer.clear()
        self._closed = True
        self._sink.flush()

    def abort(self) -> None:
        """Stop without a final segment: what was written can never be decrypted."""
        self._buffer.clear()
        self._closed = True

    def __enter__(self) -> SealedWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _emit(self, plaintext: bytes, *, last: bool) -> None:
        if self._index >= MAX_SEGMENTS:
            raise LimitExceeded("the stream is too long for its segment size")
        nonce = segment_nonce(self._header.nonce_prefix, self._index, last)
        self._sink.write(self._cipher.encrypt(nonce, plaintext))
        self._index += 1


def _fixed_or_random(fixed: bytes | None, length: int) -> bytes:
    if fixed is None:
        return random_bytes(length)
    if len(fixed) != length:
        raise ValueError(f"expected {length} bytes")
    return fixed


def read_header(source: BinaryIO) -> SealedHeader:
    """Parse the header without a key (to find the key id). Unauthenticated until decrypted."""
    return parse_header(source)


def iter_sealed(
    source: BinaryIO, data_key: DataKey, *, expected_key_id: str | None = None
) -> Iterator[bytes]:
    """Yield plaintext segment by segment, each verified before it is yielded.

    The header is read and checked at once (before the first ``next``). Any later segment may
    still raise :class:`DecryptionFailed`; see the module docstring for what callers must do.
    ``expected_key_id`` binds the stream to the key id the caller looked up.
    """
    header = parse_header(source)
    if expected_key_id is not None and header.key_id != expected_key_id:
        raise DecryptionFailed()
    cipher = _file_cipher(data_key, header, new_work=False)
    return _iter_segments(source, header, cipher)


def _iter_segments(source: BinaryIO, header: SealedHeader, cipher: Aes256Gcm) -> Iterator[bytes]:
    chunk_size = header.segment_size + TAG_BYTES
    current = read_exact(source, chunk_size)
    index = 0
    while True:
        # One chunk of look-ahead: a segment is the last exactly when nothing follows it.
        following = read_exact(source, chunk_size) if len(current) == chunk_size else b""
        last = not following
        try:
            nonce = segment_nonce(header.nonce_prefix, index, last)
        except OverflowError:
            raise DecryptionFailed() from None
        yield cipher.decrypt(nonce, current)
        if last:
            return
        current, index = following, index + 1


def decrypt_all(
    source: BinaryIO, data_key: DataKey, *, expected_key_id: str | None = None
) -> bytes:
    """The whole plaintext in memory (small objects only); nothing is returned on failure."""
    return b"".join(iter_sealed(source, data_key, expected_key_id=expected_key_id))
