"""Finding and re-encrypting objects protected by a withdrawn algorithm (危殆化).

Saitama 第6 1(5)ア(オ) asks for an emergency procedure when an algorithm is compromised. Every
sealed header and every wrapped DEK names its algorithms, so the service can answer "which
objects still use X?" from stored bytes alone, and move each one to the current default suite:

    ids = object_algorithms(header_source, wrapped)        # e.g. {"AES-256-GCM", "HKDF-SHA-256"}
    if registry.affected(ids):                              # keys.withdrawal.WithdrawalRegistry
        result = migrate_object(kek, source, sink, key_id, wrapped)
        # then, in one transaction: new blob + (result.key_id, result.wrapped) in place of the
        # old ones; the old blob and wrapped DEK are crypto-erased. Done objects no longer
        # match, so a rerun after an interruption resumes where it stopped.

Re-encryption streams in constant memory (one segment at a time) and uses a NEW DEK: the old
one was used with the compromised algorithm. Opening the old stream is allowed while the
algorithm is withdrawn (new_work=False); writing picks the first suite that is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from keys.handles import DataKey
from keys.kek import KekProvider
from keys.objects import NewObjectKey, new_object_key
from keys.sealed import SealedWriter, unseal_to
from keys.sealed_format import DEFAULT_SEGMENT_SIZE, SealedHeader, SealedSuite, parse_header
from keys.wrapped import WrappedKey


def sealed_algorithms(header: SealedHeader) -> frozenset[str]:
    """The algorithm ids a sealed stream depends on (content AEAD and file-key KDF)."""
    return header.suite.algorithms


def wrapped_algorithms(wrapped: bytes) -> frozenset[str]:
    """The algorithm ids a stored wrapped DEK depends on (its wrapping AEAD)."""
    return frozenset((WrappedKey.from_bytes(wrapped).algorithm,))


def object_algorithms(source: BinaryIO, wrapped: bytes) -> frozenset[str]:
    """Every algorithm id one stored object depends on: its header's and its wrap's.

    Reads only the header from ``source`` (no key needed; the ids are unauthenticated until
    the object is decrypted, which migration does anyway).
    """
    return sealed_algorithms(parse_header(source)) | wrapped_algorithms(wrapped)


@dataclass(frozen=True)
class ResealResult:
    header: SealedHeader  # the new stream's header (its suite is the current default)
    plaintext_bytes: int


def reseal(
    source: BinaryIO,
    sink: BinaryIO,
    old_key: DataKey,
    new_key: DataKey,
    new_key_id: str,
    *,
    expected_key_id: str | None = None,
    suite: SealedSuite | None = None,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
) -> ResealResult:
    """Decrypt ``source`` (any listed suite) and seal it again into ``sink`` (default suite).

    Constant memory. If the old stream fails to authenticate part-way, DecryptionFailed
    propagates and the new stream is left without its final segment, so it never decrypts:
    the caller discards ``sink``.
    """
    with SealedWriter(sink, new_key, new_key_id, suite=suite, segment_size=segment_size) as out:
        total = unseal_to(source, out, old_key, expected_key_id=expected_key_id)
    return ResealResult(out.header, total)


@dataclass(frozen=True)
class MigratedObject:
    new_key: NewObjectKey  # key id and wrapped DEK to store in place of the old ones
    header: SealedHeader
    plaintext_bytes: int

    @property
    def key_id(self) -> str:
        return self.new_key.key_id

    @property
    def wrapped(self) -> bytes:
        return self.new_key.wrapped

    @property
    def algorithms(self) -> frozenset[str]:
        return sealed_algorithms(self.header) | wrapped_algorithms(self.new_key.wrapped)


def migrate_object(
    kek: KekProvider, source: BinaryIO, sink: BinaryIO, key_id: str, wrapped: bytes
) -> MigratedObject:
    """Re-encrypt one stored object under a new DEK, the current suite and the current KEK."""
    old_key = kek.unwrap(WrappedKey.from_bytes(wrapped), key_id)
    new = new_object_key(kek)
    try:
        result = reseal(source, sink, old_key, new.data_key, new.key_id, expected_key_id=key_id)
    finally:
        old_key.destroy()
    return MigratedObject(new, result.header, result.plaintext_bytes)
