"""Known-answer vectors pinning sealed stream format v1 byte for byte.

The pinned bytes are checked two ways: SealedWriter must produce them, and an independent
construction straight from the documented layout (keys/sealed_format.py docstring), using only
``cryptography`` here in the test, must produce them too. A format change breaks both.
"""

from __future__ import annotations

import hashlib
import io
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keys.handles import DataKey
from keys.sealed import SealedWriter, decrypt_all, read_header

DEK = bytes(range(32))
SALT = bytes(range(0x40, 0x60))
PREFIX = bytes.fromhex("a0a1a2a3a4a5a6")
KEY_ID = "dek-kat-0001"

HEADER_HEX = (
    "534b5348"  # magic "SKSH"
    "01"  # format version 1
    "0b" "4145532d3235362d47434d"  # "AES-256-GCM"
    "0c" "484b44462d5348412d323536"  # "HKDF-SHA-256"
    "0c" "64656b2d6b61742d30303031"  # key id "dek-kat-0001"
    "00000020"  # segment size 32
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"  # salt
    "a0a1a2a3a4a5a6"  # nonce prefix
)
EMPTY_HEX = HEADER_HEX + "9e03d61e2d528d5c5a3bf988a46d432d"  # one final segment: tag only
EIGHTY_HEX = HEADER_HEX + (
    # segment 0 (32 bytes + tag), segment 1 (32 + tag), final segment 2 (16 + tag)
    "88d098ed7695a20ce6e7d652f7b6f2947b1daccad9f40d399a88d5efc721f1e8"
    "ce7be239cb035c3288cd9c34e748be18"
    "81e3c0aa597d02d829f3ce3d5ada26280de02f51f6889f1e3fd6650f0b1ac61a"
    "550cad589970d31dec3d37dc4fe97f77"
    "337dd2f74d84a641b29144e95f437ea8"
    "98601af37034d529cd8a2c2d3f7c98f0"
)
BIG_PLAINTEXT = bytes((i * 7) % 251 for i in range(200_000))
BIG_LENGTH = 200_150  # 86-byte header + 4 segments x 16-byte tags + 200,000
BIG_SHA256 = "230604661b71d3644698300da6a8df7d865a04e53c93de154b4ea35de671d8af"


def seal(plaintext: bytes, segment_size: int) -> bytes:
    sink = io.BytesIO()
    writer = SealedWriter(
        sink, DataKey(DEK), KEY_ID, segment_size=segment_size, _salt=SALT, _nonce_prefix=PREFIX
    )
    writer.write(plaintext)
    writer.close()
    return sink.getvalue()


def reference_seal(plaintext: bytes, segment_size: int) -> bytes:
    """The format from its specification, sharing no code with keys/."""
    header = (
        b"SKSH\x01\x0bAES-256-GCM\x0cHKDF-SHA-256"
        + bytes([len(KEY_ID)]) + KEY_ID.encode()
        + struct.pack(">I", segment_size) + SALT + PREFIX
    )
    info = b"sekisho sealed v1 file key\x00" + header
    file_key = HKDF(hashes.SHA256(), 32, SALT, info).derive(DEK)
    segments = [plaintext[i:i + segment_size] for i in range(0, len(plaintext), segment_size)]
    segments = segments or [b""]
    out = [header]
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        nonce = PREFIX + struct.pack(">I", index) + (b"\x01" if last else b"\x00")
        out.append(AESGCM(file_key).encrypt(nonce, segment, None))
    return b"".join(out)


def test_empty_stream_vector() -> None:
    assert seal(b"", 32).hex() == EMPTY_HEX
    assert reference_seal(b"", 32).hex() == EMPTY_HEX
    assert decrypt_all(io.BytesIO(bytes.fromhex(EMPTY_HEX)), DataKey(DEK)) == b""


def test_three_segment_vector() -> None:
    plaintext = bytes(range(80))
    assert seal(plaintext, 32).hex() == EIGHTY_HEX
    assert reference_seal(plaintext, 32).hex() == EIGHTY_HEX
    assert decrypt_all(io.BytesIO(bytes.fromhex(EIGHTY_HEX)), DataKey(DEK)) == plaintext


def test_default_segment_size_vector() -> None:
    sealed = seal(BIG_PLAINTEXT, 64 * 1024)
    assert len(sealed) == BIG_LENGTH
    assert hashlib.sha256(sealed).hexdigest() == BIG_SHA256
    assert hashlib.sha256(reference_seal(BIG_PLAINTEXT, 64 * 1024)).hexdigest() == BIG_SHA256
    assert decrypt_all(io.BytesIO(sealed), DataKey(DEK)) == BIG_PLAINTEXT


def test_header_of_the_vector_reads_without_a_key() -> None:
    source = io.BytesIO(bytes.fromhex(EIGHTY_HEX))
    header = read_header(source)
    assert (header.version, header.algorithm, header.kdf) == (1, "AES-256-GCM", "HKDF-SHA-256")
    assert (header.key_id, header.segment_size) == (KEY_ID, 32)
    assert (header.salt, header.nonce_prefix) == (SALT, PREFIX)
    assert source.tell() == len(bytes.fromhex(HEADER_HEX))
    assert header.to_bytes().hex() == HEADER_HEX
