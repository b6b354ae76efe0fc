"""Sealed stream v1 with its second suite (ChaCha20-Poly1305, the 危殆化 fallback), format
versions, the buffer-reusing fast paths and constant memory."""

from __future__ import annotations

import hashlib
import io
import struct
import tracemalloc
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import AlgorithmNotAllowed, DecryptionFailed
from keys.allowlist import DEFAULT_ALLOWLIST, AllowList, install_allowlist
from keys.handles import DataKey, new_data_key
from keys.sealed import SealedWriter, decrypt_all, iter_sealed, read_header, unseal_to
from keys.sealed_format import (
    DEFAULT_SEGMENT_SIZE,
    SUITES,
    SealedSuite,
    UnsupportedFormatVersion,
    default_suite,
)

DEK = bytes(range(32))
SALT = bytes(range(0x40, 0x60))
PREFIX = bytes.fromhex("a0a1a2a3a4a5a6")
KEY_ID = "dek-kat-0001"
CHACHA = SealedSuite("CHACHA20-POLY1305")


def reference_chacha_seal(plaintext: bytes, segment_size: int) -> bytes:
    """The layout of keys/sealed_format.py with ChaCha20-Poly1305, sharing no code with keys/."""
    header = (
        b"SKSH\x01\x11CHACHA20-POLY1305\x0cHKDF-SHA-256"
        + bytes([len(KEY_ID)]) + KEY_ID.encode()
        + struct.pack(">I", segment_size) + SALT + PREFIX
    )
    info = b"sekisho sealed v1 file key\x00" + header
    file_key = HKDF(hashes.SHA256(), 32, SALT, info).derive(DEK)
    parts = [plaintext[i:i + segment_size] for i in range(0, len(plaintext), segment_size)]
    parts = parts or [b""]
    out = [header]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        nonce = PREFIX + struct.pack(">I", index) + (b"\x01" if last else b"\x00")
        out.append(ChaCha20Poly1305(file_key).encrypt(nonce, part, None))
    return b"".join(out)


def seal(plaintext: bytes, segment_size: int, suite: SealedSuite | None = None) -> bytes:
    sink = io.BytesIO()
    writer = SealedWriter(sink, DataKey(DEK), KEY_ID, segment_size=segment_size, suite=suite,
                          _salt=SALT, _nonce_prefix=PREFIX)
    writer.write(plaintext)
    writer.close()
    return sink.getvalue()


# Pinned: a change to the ChaCha suite's bytes breaks this vector.
CHACHA_EIGHTY_SHA256 = "8d58d0efdb68eecb606444e5803dbd9f9386a7cee48686993134981c4bf8e6eb"


def test_chacha_suite_matches_the_independent_construction() -> None:
    plaintext = bytes(range(80))
    sealed = seal(plaintext, 32, CHACHA)
    assert sealed == reference_chacha_seal(plaintext, 32)
    assert len(sealed) == 92 + 80 + 3 * 16
    assert hashlib.sha256(sealed).hexdigest() == CHACHA_EIGHTY_SHA256
    assert decrypt_all(io.BytesIO(sealed), DataKey(DEK)) == plaintext
    assert read_header(io.BytesIO(sealed)).suite == CHACHA


def test_chacha_streams_detect_tampering_too() -> None:
    sealed = seal(bytes(80), 32, CHACHA)
    for position in range(0, len(sealed), 7):
        tampered = bytearray(sealed)
        tampered[position] ^= 0x04
        with pytest.raises(DecryptionFailed):
            decrypt_all(io.BytesIO(bytes(tampered)), DataKey(DEK))


def test_suite_ids_are_bound_a_swapped_name_fails() -> None:
    sealed = seal(bytes(80), 32)  # AES-256-GCM
    swapped = reference_chacha_seal(bytes(80), 32)[:92] + sealed[87:]
    with pytest.raises(DecryptionFailed):
        decrypt_all(io.BytesIO(swapped), DataKey(DEK))


def test_default_suite_follows_withdrawals() -> None:
    assert default_suite() == SUITES[0] == SealedSuite("AES-256-GCM")
    install_allowlist(DEFAULT_ALLOWLIST.withdraw("AES-256-GCM"))
    assert default_suite() == CHACHA
    install_allowlist(DEFAULT_ALLOWLIST.withdraw("HKDF-SHA-256"))
    with pytest.raises(AlgorithmNotAllowed, match="every sealed suite"):
        default_suite()


def test_an_unknown_suite_is_refused_for_writing_and_reading() -> None:
    with pytest.raises(AlgorithmNotAllowed):
        SealedWriter(io.BytesIO(), new_data_key(), KEY_ID, suite=SealedSuite("AES-256-CBC"))
    # An organisation that never designated ChaCha (Chiba 10.1(16)イ) cannot open it either.
    sealed = seal(b"x", 32, CHACHA)
    install_allowlist(AllowList(
        s for s in DEFAULT_ALLOWLIST.specs() if s.algorithm != "CHACHA20-POLY1305"))
    with pytest.raises(AlgorithmNotAllowed):
        decrypt_all(io.BytesIO(sealed), DataKey(DEK))


@pytest.mark.parametrize("version", [0, 2, 255])
def test_unknown_format_version_has_its_own_code(version: int) -> None:
    sealed = bytearray(seal(b"abc", 32))
    sealed[4] = version
    with pytest.raises(UnsupportedFormatVersion) as err:
        read_header(io.BytesIO(bytes(sealed)))
    assert err.value.code == "unsupported_format_version"
    assert isinstance(err.value, DecryptionFailed)  # callers catching the opaque error still do


# --- fast paths -----------------------------------------------------------------------------


@pytest.mark.parametrize("writes", [
    [100_000], [1, 99_999], [32, 32, 32, 4], [33] * 50, [31, 1, 64, 65, 1000, 7],
])
def test_any_write_pattern_gives_the_same_stream(writes: list[int]) -> None:
    plaintext = bytes((i * 13) % 256 for i in range(sum(writes)))
    expected = seal(plaintext, 32)
    sink = io.BytesIO()
    writer = SealedWriter(sink, DataKey(DEK), KEY_ID, segment_size=32, _salt=SALT,
                          _nonce_prefix=PREFIX)
    position = 0
    for size in writes:
        writer.write(memoryview(plaintext)[position:position + size])
        position += size
    writer.close()
    assert sink.getvalue() == expected


def test_unseal_to_writes_the_plaintext() -> None:
    plaintext = bytes(range(256)) * 1000
    sealed = seal(plaintext, 4096)
    out = io.BytesIO()
    assert unseal_to(io.BytesIO(sealed), out, DataKey(DEK), expected_key_id=KEY_ID) == 256_000
    assert out.getvalue() == plaintext
    with pytest.raises(DecryptionFailed):
        unseal_to(io.BytesIO(sealed[:-1]), io.BytesIO(), DataKey(DEK))


def test_yielded_segments_stay_valid_after_the_next_one() -> None:
    plaintext = bytes(range(96))
    parts = list(iter_sealed(io.BytesIO(seal(plaintext, 32)), DataKey(DEK)))
    assert b"".join(parts) == plaintext  # copies, not views of a reused buffer


class HashSink:
    def __init__(self) -> None:
        self.digest = hashlib.sha256()

    def write(self, data: memoryview) -> int:
        self.digest.update(data)
        return len(data)


def test_memory_stays_flat_for_a_large_stream(tmp_path: Path) -> None:
    """64 MiB through writer and reader: peak Python allocations of a few segments."""
    key, block = new_data_key(), hashlib.sha256(b"m").digest() * 8192  # 256 KiB
    path, expected = tmp_path / "big.sealed", hashlib.sha256()
    tracemalloc.start()
    try:
        with path.open("wb") as sink, SealedWriter(sink, key, KEY_ID) as writer:
            for _ in range(256):
                writer.write(block)
                expected.update(block)
        write_peak = tracemalloc.get_traced_memory()[1]
        del writer  # its two segment buffers
        tracemalloc.reset_peak()
        out = HashSink()
        with path.open("rb") as source:
            assert unseal_to(source, out, key) == 64 * 1024 * 1024
        read_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.digest.hexdigest() == expected.hexdigest()
    assert write_peak < 4 * DEFAULT_SEGMENT_SIZE
    assert read_peak < 4 * DEFAULT_SEGMENT_SIZE


def test_a_mutable_buffer_reused_by_the_caller_is_copied_not_held() -> None:
    plaintext = bytes(range(200))
    expected = seal(plaintext, 32)
    sink, buffer = io.BytesIO(), bytearray(50)
    writer = SealedWriter(sink, DataKey(DEK), KEY_ID, segment_size=32, _salt=SALT,
                          _nonce_prefix=PREFIX)
    for start in range(0, 200, 50):
        buffer[:] = plaintext[start:start + 50]
        writer.write(buffer)
        buffer[:] = bytes(50)  # the io contract lets a caller reuse its buffer at once
    writer.close()
    assert sink.getvalue() == expected


@pytest.mark.parametrize("pieces", [[32, 32], [32, 1], [10, 22, 32], [64, 0, 32], [31, 33]])
def test_held_bytes_tails_give_the_same_stream(pieces: list[int]) -> None:
    plaintext = bytes((i * 7) % 256 for i in range(sum(pieces)))
    sink = io.BytesIO()
    writer = SealedWriter(sink, DataKey(DEK), KEY_ID, segment_size=32, _salt=SALT,
                          _nonce_prefix=PREFIX)
    position = 0
    for size in pieces:
        writer.write(plaintext[position:position + size])  # bytes: tails are held
        position += size
    writer.close()
    assert sink.getvalue() == seal(plaintext, 32)
    assert decrypt_all(io.BytesIO(sink.getvalue()), DataKey(DEK)) == plaintext
