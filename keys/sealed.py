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
:func:`unseal_to` does that loop into a sink with no per-segment allocation.

Memory: the writer holds one plaintext and one ciphertext segment buffer, the reader two
ciphertext and one plaintext buffer, whatever the stream length (issue 5 target: < 64 MB).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import BinaryIO, NoReturn, Protocol

from core.errors import DecryptionFailed, LimitExceeded
from keys.handles import DataKey, require_valid_key_id
from keys.primitives.aead import Aead, aead_for
from keys.primitives.kdf import hkdf_sha256
from keys.primitives.randomness import random_bytes
from keys.sealed_format import (
    DEFAULT_SEGMENT_SIZE,
    MAX_SEGMENTS,
    NONCE_PREFIX_BYTES,
    SALT_BYTES,
    TAG_BYTES,
    SealedHeader,
    SealedSuite,
    default_suite,
    file_key_info,
    parse_header,
    require_suite,
    segment_nonce,
    validate_segment_size,
)

_Buffer = bytes | bytearray | memoryview


class WritableSink(Protocol):
    def write(self, data: _Buffer, /) -> int | None: ...


def _file_cipher(data_key: DataKey, header: SealedHeader, *, new_work: bool) -> Aead:
    file_key = hkdf_sha256(
        data_key.secret_bytes(),
        salt=header.salt,
        info=file_key_info(header),
        new_work=new_work,
    )
    return aead_for(header.algorithm, file_key)


class SealedWriter:
    """A write-only file-like sink that seals everything written to it into ``sink``.

    Deliberately NOT an ``io.IOBase``: IOBase's finaliser calls ``close()``, which here would
    write the final segment and make an interrupted upload look complete. An abandoned writer
    leaves a stream without a final segment, which never decrypts.

    ``sink.write`` gets views of a reused buffer and must consume them before returning (the
    io contract: files, BytesIO and sockets do).
    """

    def __init__(
        self,
        sink: BinaryIO | WritableSink,
        data_key: DataKey,
        key_id: str,
        *,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        suite: SealedSuite | None = None,
        _salt: bytes | None = None,
        _nonce_prefix: bytes | None = None,
    ) -> None:
        # _salt / _nonce_prefix exist only for the known-answer tests; production draws both
        # from the OS CSPRNG. The suite is chosen (and a withdrawn one refused, 危殆化) before
        # the header goes out, not at the first full segment.
        chosen = default_suite() if suite is None else require_suite(suite)
        self._header = SealedHeader(
            key_id=require_valid_key_id(key_id),
            segment_size=validate_segment_size(segment_size),
            salt=_fixed_or_random(_salt, SALT_BYTES),
            nonce_prefix=_fixed_or_random(_nonce_prefix, NONCE_PREFIX_BYTES),
            algorithm=chosen.content,
            kdf=chosen.kdf,
        )
        self._cipher = _file_cipher(data_key, self._header, new_work=True)
        self._sink = sink
        self._segment = bytearray(segment_size)
        self._out = memoryview(bytearray(segment_size + TAG_BYTES))
        self._filled = 0
        self._borrowed: memoryview | None = None  # a final-or-not segment held, not copied
        self._index = 0
        self._closed = False
        self.plaintext_bytes = 0
        sink.write(self._header.to_bytes())

    def __repr__(self) -> str:
        return f"SealedWriter(key_id={self._header.key_id!r}, closed={self._closed})"

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("a SealedWriter holds key material and cannot be pickled")

    @property
    def header(self) -> SealedHeader:
        return self._header

    @property
    def closed(self) -> bool:
        return self._closed

    def writable(self) -> bool:
        return True

    def write(self, data: _Buffer) -> int:
        """Take ``data``; every full segment that is known not to be the last goes out."""
        if self._closed:
            raise ValueError("write to a closed SealedWriter")
        view = memoryview(data).cast("B")
        total = view.nbytes
        if total:
            self._settle_borrowed()  # more data exists now: a held segment is not the last
            self._take(view)
        self.plaintext_bytes += total
        return total

    def _take(self, view: memoryview) -> None:
        size, pos, total = self._header.segment_size, 0, view.nbytes
        while pos < total:
            # A full segment is emitted only once more data exists: it may be the last one.
            if self._filled == size:
                self._emit(memoryview(self._segment), last=False)
                self._filled = 0
            if self._filled == 0 and total - pos > size:
                # Fast path: encrypt straight from the caller's buffer, no staging copy.
                self._emit(view[pos:pos + size], last=False)
                pos += size
            elif self._filled == 0 and isinstance(view.obj, bytes):
                # The tail of an immutable bytes object can be held instead of copied.
                self._borrowed = view[pos:]
                pos = total
            else:
                take = min(size - self._filled, total - pos)
                self._segment[self._filled:self._filled + take] = view[pos:pos + take]
                self._filled += take
                pos += take

    def _settle_borrowed(self) -> None:
        held, self._borrowed = self._borrowed, None
        if held is None:
            return
        if held.nbytes == self._header.segment_size:
            self._emit(held, last=False)
        else:
            self._segment[:held.nbytes] = held
            self._filled = held.nbytes

    def flush(self) -> None:
        flush = getattr(self._sink, "flush", None)
        if flush is not None:
            flush()

    def close(self) -> None:
        """Write the final segment (one exists even for an empty stream). Idempotent."""
        if self._closed:
            return
        held, self._borrowed = self._borrowed, None
        self._emit(held if held is not None else memoryview(self._segment)[:self._filled],
                   last=True)
        self._filled = 0
        self._closed = True
        self.flush()

    def abort(self) -> None:
        """Stop without a final segment: what was written can never be decrypted."""
        self._borrowed = None
        self._filled = 0
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

    def _emit(self, plaintext: memoryview, *, last: bool) -> None:
        if self._index >= MAX_SEGMENTS:
            raise LimitExceeded("the stream is too long for its segment size")
        nonce = segment_nonce(self._header.nonce_prefix, self._index, last)
        out = self._out[:plaintext.nbytes + TAG_BYTES]  # the AEAD wants an exact-size buffer
        self._cipher.encrypt_into(nonce, plaintext, out)
        self._sink.write(out)
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


def _open(
    source: BinaryIO, data_key: DataKey, expected_key_id: str | None
) -> Iterator[memoryview]:
    header = parse_header(source)
    if expected_key_id is not None and header.key_id != expected_key_id:
        raise DecryptionFailed()
    cipher = _file_cipher(data_key, header, new_work=False)
    return _iter_segments(source, header, cipher)


def iter_sealed(
    source: BinaryIO, data_key: DataKey, *, expected_key_id: str | None = None
) -> Iterator[bytes]:
    """Yield plaintext segment by segment, each verified before it is yielded.

    The header is read and checked at once (before the first ``next``). Any later segment may
    still raise :class:`DecryptionFailed`; see the module docstring for what callers must do.
    ``expected_key_id`` binds the stream to the key id the caller looked up.
    """
    segments = _open(source, data_key, expected_key_id)
    return (bytes(segment) for segment in segments)


def unseal_to(
    source: BinaryIO,
    sink: BinaryIO | WritableSink,
    data_key: DataKey,
    *,
    expected_key_id: str | None = None,
) -> int:
    """Decrypt the whole stream into ``sink``; returns the plaintext length.

    ``sink`` must be private and discarded if this raises: earlier segments are written before
    a later one fails to authenticate (see the module docstring).
    """
    total = 0
    for segment in _open(source, data_key, expected_key_id):
        sink.write(segment)
        total += segment.nbytes
    return total


def _iter_segments(source: BinaryIO, header: SealedHeader, cipher: Aead) -> Iterator[memoryview]:
    chunk_size = header.ciphertext_segment_size
    current = memoryview(bytearray(chunk_size))
    following = memoryview(bytearray(chunk_size))
    plain = memoryview(bytearray(header.segment_size))
    reader = _Filler(source)
    length = reader.fill(current)
    index = 0
    while True:
        # One chunk of look-ahead: a segment is the last exactly when nothing follows it.
        next_length = reader.fill(following) if length == chunk_size else 0
        last = next_length == 0
        try:
            nonce = segment_nonce(header.nonce_prefix, index, last)
        except OverflowError:
            raise DecryptionFailed() from None
        if length < TAG_BYTES:
            raise DecryptionFailed()
        produced = cipher.decrypt_into(nonce, current[:length], plain[:length - TAG_BYTES])
        yield plain[:produced]  # valid until the next step; iter_sealed copies it
        if last:
            return
        current, following, length, index = following, current, next_length, index + 1


class _Filler:
    """Fill buffers from a source, tolerating short reads and sources without readinto."""

    __slots__ = ("_readinto", "_source")

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self._readinto = True

    def fill(self, buf: memoryview) -> int:
        filled = 0
        while filled < buf.nbytes:
            got = self._read_some(buf[filled:])
            if not got:
                break
            filled += got
        return filled

    def _read_some(self, buf: memoryview) -> int:
        if self._readinto:
            try:
                return self._source.readinto(buf) or 0  # type: ignore[attr-defined]
            except (AttributeError, NotImplementedError):
                self._readinto = False  # e.g. a RawIOBase that implements only read()
        data = self._source.read(buf.nbytes)
        buf[:len(data)] = data
        return len(data)


def decrypt_all(
    source: BinaryIO, data_key: DataKey, *, expected_key_id: str | None = None
) -> bytes:
    """The whole plaintext in memory (small objects only); nothing is returned on failure."""
    return b"".join(iter_sealed(source, data_key, expected_key_id=expected_key_id))
