"""Sealed exports: a sealed stream v1 for one recipient key or one password.

Recipients open them with ``sekisho open`` (design: contracts). The envelope format and its
security argument are in :mod:`keys.export.envelope`; the stream (constant memory, truncation
and reordering detected) is :mod:`keys.sealed`.

What a recipient can get wrong (wrong key, wrong password) and what an attacker can do
(truncate, reorder, alter any byte) all end in the one opaque ``decryption_failed``, and the
plaintext is only renamed into place after the last segment has authenticated
(:mod:`keys.export.atomic`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from core.errors import DecryptionFailed
from keys.export.atomic import atomic_output
from keys.export.envelope import (
    INNER_KEY_ID,
    SALT_BYTES,
    EcdhParams,
    EnvelopeHeader,
    Params,
    PasswordParams,
    RsaOaepParams,
    parse_envelope,
)
from keys.export.errors import UnsupportedFormatVersion
from keys.export.recipients import Recipient
from keys.handles import DataKey
from keys.primitives.aead import KEY_BYTES
from keys.primitives.asymmetric import PrivateKey, ecdh_p256_ephemeral, rsa_oaep_encrypt
from keys.primitives.kdf import hkdf_sha256
from keys.primitives.mac import equal_constant_time
from keys.primitives.pbkdf2 import MIN_ITERATIONS, pbkdf2_hmac_sha256
from keys.primitives.randomness import random_bytes
from keys.sealed import SealedWriter, iter_sealed, unseal_to
from keys.sealed_format import DEFAULT_SEGMENT_SIZE

PASSWORD_ITERATIONS = MIN_ITERATIONS
READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class SealedExportInfo:
    method: str
    content_algorithm: str
    plaintext_bytes: int
    recipient_fingerprint: str | None = None
    iterations: int | None = None


def _derive_dek(envelope_key: bytes, header: EnvelopeHeader, *, new_work: bool) -> DataKey:
    return DataKey(hkdf_sha256(
        envelope_key, salt=b"", info=header.dek_info(), length=KEY_BYTES, new_work=new_work
    ))


def _for_recipient(recipient: Recipient) -> tuple[bytes, Params]:
    public = recipient.public_key
    if public.kind == "rsa":
        cek = random_bytes(KEY_BYTES)
        return cek, RsaOaepParams(public.fingerprint(), rsa_oaep_encrypt(public, cek))
    shared, point = ecdh_p256_ephemeral(public)
    return shared, EcdhParams(public.fingerprint(), point)


def _for_password(password: str) -> tuple[bytes, Params]:
    params = PasswordParams(PASSWORD_ITERATIONS, random_bytes(SALT_BYTES))
    key = pbkdf2_hmac_sha256(password.encode("utf-8"), salt=params.salt,
                             iterations=params.iterations)
    return key, params


def seal_stream(
    source: BinaryIO,
    sink: BinaryIO,
    *,
    recipient: Recipient | None = None,
    password: str | None = None,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
) -> SealedExportInfo:
    """Write the envelope and the sealed stream of everything in ``source`` to ``sink``."""
    if (recipient is None) == (password is None):
        raise ValueError("seal for exactly one recipient key or one password")
    envelope_key, params = (
        _for_recipient(recipient) if recipient is not None else _for_password(str(password))
    )
    header = EnvelopeHeader(params)
    sink.write(header.to_bytes())
    data_key = _derive_dek(envelope_key, header, new_work=True)
    try:
        with SealedWriter(sink, data_key, INNER_KEY_ID, segment_size=segment_size) as writer:
            while chunk := source.read(READ_CHUNK):
                writer.write(chunk)
    finally:
        data_key.destroy()
    return SealedExportInfo(
        method=header.method,
        content_algorithm=writer.header.algorithm,
        plaintext_bytes=writer.plaintext_bytes,
        recipient_fingerprint=recipient.fingerprint_hex if recipient is not None else None,
        iterations=params.iterations if isinstance(params, PasswordParams) else None,
    )


def seal_file(
    source: Path, output: Path, *,
    recipient: Recipient | None = None, password: str | None = None,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
) -> SealedExportInfo:
    """:func:`seal_stream` from a file into ``output``, all-or-nothing."""
    with open(source, "rb") as src, atomic_output(output) as sink:
        return seal_stream(src, sink, recipient=recipient, password=password,
                           segment_size=segment_size)


def _envelope_key(
    header: EnvelopeHeader, private_key: PrivateKey | None, password: str | None
) -> bytes:
    params = header.params
    if isinstance(params, PasswordParams):
        if password is None:
            raise DecryptionFailed()
        return pbkdf2_hmac_sha256(password.encode("utf-8"), salt=params.salt,
                                  iterations=params.iterations, new_work=False)
    if private_key is None:
        raise DecryptionFailed()
    fingerprint = private_key.public_key().fingerprint()
    if not equal_constant_time(fingerprint, params.fingerprint):
        raise DecryptionFailed()  # not for this key: the same answer as any other failure
    if isinstance(params, RsaOaepParams):
        return private_key.rsa_oaep_decrypt(params.encrypted_key)
    return private_key.ecdh_p256(params.ephemeral_point)


@contextlib.contextmanager
def _inner_version_is_corruption() -> Iterator[None]:
    # Envelope v1 always holds a sealed stream v1: the envelope's version byte is the one
    # reported as unsupported_format_version; any other inner version is an altered file.
    try:
        yield
    except UnsupportedFormatVersion:
        raise DecryptionFailed() from None


def _data_key(
    source: BinaryIO, private_key: PrivateKey | None, password: str | None
) -> DataKey:
    header = parse_envelope(source)
    return _derive_dek(_envelope_key(header, private_key, password), header, new_work=False)


def iter_export(
    source: BinaryIO, *, private_key: PrivateKey | None = None, password: str | None = None
) -> Iterator[bytes]:
    """Plaintext segments, each authenticated; a LATER one may still raise DecryptionFailed,
    so write them somewhere private until the iterator is exhausted (see open_file)."""
    data_key = _data_key(source, private_key, password)
    with _inner_version_is_corruption():
        return iter_sealed(source, data_key, expected_key_id=INNER_KEY_ID)


def open_stream(
    source: BinaryIO, sink: BinaryIO, *,
    private_key: PrivateKey | None = None, password: str | None = None,
) -> int:
    """Decrypt into ``sink``, which must be private and discarded if this raises."""
    data_key = _data_key(source, private_key, password)
    try:
        with _inner_version_is_corruption():
            return unseal_to(source, sink, data_key, expected_key_id=INNER_KEY_ID)
    finally:
        data_key.destroy()


def open_file(
    sealed: Path, output: Path, *,
    private_key: PrivateKey | None = None, password: str | None = None,
) -> int:
    """Decrypt ``sealed`` into ``output``; on any failure ``output`` is not created (or an
    existing one is left untouched) and no temporary file remains. Returns plaintext bytes."""
    with open(sealed, "rb") as src, atomic_output(output) as sink:
        return open_stream(src, sink, private_key=private_key, password=password)
