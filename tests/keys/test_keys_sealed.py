"""Sealed streams: round trips at the segment edges, and every tamper case is DecryptionFailed."""

from __future__ import annotations

import hashlib
import io
import struct
from pathlib import Path

import pytest

from core.errors import DecryptionFailed
from keys.handles import DataKey, new_data_key
from keys.sealed import SealedWriter, decrypt_all, iter_sealed, read_header
from keys.sealed_format import DEFAULT_SEGMENT_SIZE, MAX_SEGMENT_SIZE, TAG_BYTES

KEY_ID = "dek-test-0001"
SMALL = 32


def seal(
    plaintext: bytes, key: DataKey, *, segment_size: int = SMALL, chunk: int | None = None
) -> bytes:
    sink = io.BytesIO()
    with SealedWriter(sink, key, KEY_ID, segment_size=segment_size) as writer:
        step = chunk or max(1, len(plaintext))
        for start in range(0, len(plaintext), step):
            writer.write(plaintext[start:start + step])
    return sink.getvalue()


def unseal(sealed: bytes, key: DataKey) -> bytes:
    return decrypt_all(io.BytesIO(sealed), key)


def header_len(sealed: bytes) -> int:
    source = io.BytesIO(sealed)
    read_header(source)
    return source.tell()


def split(sealed: bytes, segment_size: int = SMALL) -> tuple[bytes, list[bytes]]:
    start = header_len(sealed)
    size = segment_size + TAG_BYTES
    body = sealed[start:]
    return sealed[:start], [body[i:i + size] for i in range(0, len(body), size)]


@pytest.fixture
def key() -> DataKey:
    return new_data_key()


# --- round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("segment_size", [SMALL, DEFAULT_SEGMENT_SIZE])
@pytest.mark.parametrize("shape", ["0", "1", "seg-1", "seg", "seg+1", "3seg+5"])
def test_round_trip_at_segment_edges(key: DataKey, segment_size: int, shape: str) -> None:
    s = segment_size
    size = {"0": 0, "1": 1, "seg-1": s - 1, "seg": s, "seg+1": s + 1, "3seg+5": 3 * s + 5}[shape]
    plaintext = bytes((i * 31 + 7) % 256 for i in range(size))
    sealed = seal(plaintext, key, segment_size=s)
    segments = max(1, -(-size // s))  # an empty stream still has one (final) segment
    assert len(sealed) == header_len(sealed) + size + segments * TAG_BYTES
    assert unseal(sealed, key) == plaintext


@pytest.mark.parametrize("chunk", [1, 3, SMALL - 1, SMALL, SMALL + 1, 1000])
def test_chunking_of_writes_does_not_change_the_plaintext(key: DataKey, chunk: int) -> None:
    plaintext = bytes(range(256)) * 4
    assert unseal(seal(plaintext, key, chunk=chunk), key) == plaintext


def test_segments_are_yielded_one_at_a_time(key: DataKey) -> None:
    plaintext = bytes(3 * SMALL + 5)
    parts = list(iter_sealed(io.BytesIO(seal(plaintext, key)), key))
    assert [len(p) for p in parts] == [SMALL, SMALL, SMALL, 5]


def test_each_stream_gets_a_fresh_salt_and_nonce_prefix(key: DataKey) -> None:
    first, second = seal(b"same", key), seal(b"same", key)
    assert first != second
    assert read_header(io.BytesIO(first)).salt != read_header(io.BytesIO(second)).salt


class TrickleReader(io.RawIOBase):
    """A source that returns at most 3 bytes per read, like a slow pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(min(size, 3) if size >= 0 else 3)


def test_short_reads_from_the_source_are_handled(key: DataKey) -> None:
    plaintext = bytes(range(200))
    assert decrypt_all(TrickleReader(seal(plaintext, key)), key) == plaintext  # type: ignore[arg-type]


def test_twenty_megabytes_stream_in_small_writes(key: DataKey, tmp_path: Path) -> None:
    path = tmp_path / "big.sealed"
    block = hashlib.sha256(b"seed").digest() * 256  # 8 KiB
    total, digest = 0, hashlib.sha256()
    with path.open("wb") as sink, SealedWriter(sink, key, KEY_ID) as writer:
        while total < 20 * 1024 * 1024:
            writer.write(block)
            digest.update(block)
            total += len(block)
    out, largest = hashlib.sha256(), 0
    with path.open("rb") as source:
        for part in iter_sealed(source, key, expected_key_id=KEY_ID):
            largest = max(largest, len(part))
            out.update(part)
    assert out.hexdigest() == digest.hexdigest()
    assert largest == DEFAULT_SEGMENT_SIZE  # never more than one segment in hand


# --- tampering, truncation, reordering, appending ------------------------------------------


@pytest.fixture
def sealed(key: DataKey) -> bytes:
    return seal(bytes(range(80)), key)  # header + 3 segments


def test_every_single_bit_flip_anywhere_fails(key: DataKey, sealed: bytes) -> None:
    for position in range(len(sealed)):
        for bit in (0x01, 0x80):
            tampered = bytearray(sealed)
            tampered[position] ^= bit
            with pytest.raises(DecryptionFailed):
                unseal(bytes(tampered), key)


def test_every_truncation_fails(key: DataKey, sealed: bytes) -> None:
    for length in range(len(sealed)):
        with pytest.raises(DecryptionFailed):
            unseal(sealed[:length], key)


def test_dropping_the_final_segment_fails_even_on_a_boundary(key: DataKey, sealed: bytes) -> None:
    header, segments = split(sealed)
    with pytest.raises(DecryptionFailed):
        unseal(header + b"".join(segments[:-1]), key)


def test_dropping_a_middle_segment_fails(key: DataKey, sealed: bytes) -> None:
    header, (s0, _s1, s2) = split(sealed)
    with pytest.raises(DecryptionFailed):
        unseal(header + s0 + s2, key)


def test_reordering_segments_fails(key: DataKey) -> None:
    header, (s0, s1, s2) = split(seal(bytes(range(96)), key))  # three full segments
    with pytest.raises(DecryptionFailed):
        unseal(header + s1 + s0 + s2, key)


def test_duplicating_a_segment_fails(key: DataKey, sealed: bytes) -> None:
    header, (s0, s1, s2) = split(sealed)
    for body in (s0 + s0 + s1 + s2, s0 + s1 + s1 + s2, s0 + s1 + s2 + s2):
        with pytest.raises(DecryptionFailed):
            unseal(header + body, key)


@pytest.mark.parametrize("extra", [b"\x00", bytes(TAG_BYTES), bytes(SMALL + TAG_BYTES)])
def test_appended_data_fails(key: DataKey, sealed: bytes, extra: bytes) -> None:
    with pytest.raises(DecryptionFailed):
        unseal(sealed + extra, key)


def test_header_from_another_stream_fails(key: DataKey, sealed: bytes) -> None:
    other_header, _ = split(seal(bytes(range(80)), key))
    _, segments = split(sealed)
    with pytest.raises(DecryptionFailed):
        unseal(other_header + b"".join(segments), key)


def test_segments_from_another_stream_of_the_same_key_fail(key: DataKey, sealed: bytes) -> None:
    header, (s0, _s1, s2) = split(sealed)
    _, (_o0, o1, _o2) = split(seal(bytes(range(80)), key))
    with pytest.raises(DecryptionFailed):
        unseal(header + s0 + o1 + s2, key)


def test_wrong_key_fails(sealed: bytes) -> None:
    with pytest.raises(DecryptionFailed):
        unseal(sealed, new_data_key())


def test_expected_key_id_mismatch_fails_before_any_plaintext(key: DataKey, sealed: bytes) -> None:
    with pytest.raises(DecryptionFailed):
        iter_sealed(io.BytesIO(sealed), key, expected_key_id="dek-someone-else")


def test_later_segment_failure_arrives_after_earlier_plaintext(key: DataKey) -> None:
    """Documented contract: a verified early segment does not vouch for the rest."""
    header, (s0, s1, s2) = split(seal(bytes(range(80)), key))
    broken = header + s0 + s1 + s2[:-1] + bytes([s2[-1] ^ 1])
    parts = iter_sealed(io.BytesIO(broken), key)
    assert next(parts) == bytes(range(32))
    assert next(parts) == bytes(range(32, 64))
    with pytest.raises(DecryptionFailed):
        next(parts)


@pytest.mark.parametrize(
    "garbage",
    [b"", b"SKSH", b"PK\x03\x04" + bytes(100), b"SKSH\x02" + bytes(100), bytes(200)],
)
def test_not_a_sealed_stream(key: DataKey, garbage: bytes) -> None:
    with pytest.raises(DecryptionFailed):
        read_header(io.BytesIO(garbage))
    with pytest.raises(DecryptionFailed):
        iter_sealed(io.BytesIO(garbage), key)  # header errors are raised at once, not lazily


def test_hostile_segment_size_is_refused_before_allocating(key: DataKey, sealed: bytes) -> None:
    start = header_len(sealed) - 32 - 7 - 4
    huge = sealed[:start] + struct.pack(">I", MAX_SEGMENT_SIZE + 1) + sealed[start + 4:]
    with pytest.raises(DecryptionFailed):
        read_header(io.BytesIO(huge))


# --- writer life cycle ---------------------------------------------------------------------


def test_write_after_close_is_an_error(key: DataKey) -> None:
    writer = SealedWriter(io.BytesIO(), key, KEY_ID)
    writer.close()
    writer.close()  # idempotent
    assert writer.closed
    with pytest.raises(ValueError):
        writer.write(b"x")


def test_an_exception_inside_the_block_leaves_an_undecryptable_stream(key: DataKey) -> None:
    sink = io.BytesIO()
    with pytest.raises(RuntimeError), SealedWriter(sink, key, KEY_ID, segment_size=SMALL) as w:
        w.write(bytes(100))
        raise RuntimeError("upload interrupted")
    with pytest.raises(DecryptionFailed):
        unseal(sink.getvalue(), key)


def test_header_is_written_before_any_data(key: DataKey) -> None:
    sink = io.BytesIO()
    SealedWriter(sink, key, KEY_ID)
    assert read_header(io.BytesIO(sink.getvalue())).key_id == KEY_ID


def test_write_returns_the_count_and_accepts_buffers(key: DataKey) -> None:
    sink = io.BytesIO()
    with SealedWriter(sink, key, KEY_ID) as writer:
        assert writer.write(b"abc") == 3
        assert writer.write(bytearray(b"de")) == 2
        assert writer.write(memoryview(b"fgh")) == 3
    assert writer.plaintext_bytes == 8
    assert unseal(sink.getvalue(), key) == b"abcdefgh"


@pytest.mark.parametrize("segment_size", [0, 15, MAX_SEGMENT_SIZE + 1])
def test_segment_size_bounds(key: DataKey, segment_size: int) -> None:
    with pytest.raises(ValueError):
        SealedWriter(io.BytesIO(), key, KEY_ID, segment_size=segment_size)


def test_writer_refuses_a_bad_key_id(key: DataKey) -> None:
    with pytest.raises(ValueError):
        SealedWriter(io.BytesIO(), key, "no spaces allowed")
