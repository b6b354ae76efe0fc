"""Opening CMS AuthEnvelopedData exports: the recipient's side of ``--format cms``.

Recipients with OpenSSL use ``openssl cms -decrypt``; ``sekisho open --key KEY.pem`` opens the
same files (DER, PEM or S/MIME) so that a recipient without OpenSSL 3, and the mail gateway's
own tests, need nothing else. Only what the export side writes is accepted: RSA-OAEP with
SHA-256 and MGF1-SHA-256 for the key, AES-256-GCM with a 12-byte nonce for the content
(reference/crypto.md); anything else is ``algorithm_not_allowed`` naming what was found.

The file is read as a stream in constant memory: DER lengths are definite, the ciphertext is
decrypted chunk by chunk into the caller's private sink, and the GCM tag in the ``mac`` field
after it decides whether that sink is kept (keys.export.atomic discards it otherwise). Every
cryptographic failure (wrong key, altered or truncated file) is one opaque
``decryption_failed``.
"""

from __future__ import annotations

import base64
import binascii
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from asn1crypto import algos, cms, core

from core.errors import AlgorithmNotAllowed, DecryptionFailed, InvalidRequest
from keys.primitives.aead import KEY_BYTES, NONCE_BYTES
from keys.primitives.asymmetric import PrivateKey
from keys.primitives.gcm_stream import TAG_BYTES, Aes256GcmStreamDecryptor

AUTH_ENVELOPED_DATA = "1.2.840.113549.1.9.16.1.23"
MAX_STRUCTURE_BYTES = 1024 * 1024  # recipient infos, algorithm ids: small; a bigger one is junk
MAX_MIME_HEADER_BYTES = 64 * 1024
READ_CHUNK = 1024 * 1024
PEM_BEGIN = (b"-----BEGIN CMS-----", b"-----BEGIN PKCS7-----")


def looks_like_cms(head: bytes) -> bool:
    """Whether the first bytes of a file are a CMS export in one of our three encodings."""
    if head[:1] == b"\x30":
        return b"\x06\x0b\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x01\x17" in head[:32]
    if head.lstrip().startswith(PEM_BEGIN):
        return True
    return b"pkcs7-mime" in head.lower()


# --- DER as a stream --------------------------------------------------------------------


class _Der:
    """Reads definite-length DER/BER headers and small elements from a stream."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source

    def exact(self, size: int) -> bytes:
        data = self._source.read(size)
        if len(data) != size:
            raise DecryptionFailed()  # truncated
        return data

    def head(self) -> tuple[int, int, bytes]:
        """(tag, content length, the header bytes)."""
        raw = self.exact(2)
        tag, first = raw[0], raw[1]
        if first < 0x80:
            return tag, first, raw
        count = first & 0x7F
        if count == 0:
            raise InvalidRequest("indefinite-length (streamed BER) CMS is not supported; "
                                 "re-encode it as DER (openssl cms -cmsout -outform DER)")
        if count > 8:
            raise DecryptionFailed()
        extra = self.exact(count)
        return tag, int.from_bytes(extra, "big"), raw + extra

    def element(self, expected_tag: int | None = None) -> tuple[int, bytes]:
        """One whole small element (header included), for asn1crypto to parse."""
        tag, length, header = self.head()
        if expected_tag is not None and tag != expected_tag:
            raise DecryptionFailed()
        if length > MAX_STRUCTURE_BYTES:
            raise DecryptionFailed()
        return tag, header + self.exact(length)


def _expect_head(der: _Der, tag: int) -> int:
    found, length, _ = der.head()
    if found != tag:
        raise DecryptionFailed()
    return length


# --- the structure ----------------------------------------------------------------------


def _check_oaep(algorithm: cms.KeyEncryptionAlgorithm) -> None:
    name = algorithm["algorithm"].native
    if name != "rsaes_oaep":
        raise AlgorithmNotAllowed(f"this CMS file wraps its key with {name}; "
                                  "only RSA-OAEP with SHA-256 is accepted")
    params = algorithm["parameters"]
    hash_name = params["hash_algorithm"]["algorithm"].native
    mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
    if hash_name != "sha256" or mgf_hash != "sha256":
        raise AlgorithmNotAllowed(f"this CMS file uses RSA-OAEP with {hash_name}/MGF1-"
                                  f"{mgf_hash}; only SHA-256 is accepted (CRYPTREC)")


def _content_key(recipient_infos: bytes, private_key: PrivateKey) -> bytes:
    """The CEK from the first key-transport recipient info this key opens."""
    infos = cms.RecipientInfos.load(recipient_infos)
    transports = [info.chosen for info in infos if info.name == "ktri"]
    if not transports:
        raise AlgorithmNotAllowed("this CMS file has no RSA key-transport recipient; "
                                  "only RSA-OAEP recipients are accepted")
    for ktri in transports:
        _check_oaep(ktri["key_encryption_algorithm"])
    for ktri in transports:
        try:
            cek = private_key.rsa_oaep_decrypt(ktri["encrypted_key"].native)
        except DecryptionFailed:
            continue
        if len(cek) == KEY_BYTES:
            return cek
    raise DecryptionFailed()  # not for this key: the same answer as any other failure


def _nonce(algorithm: bytes) -> bytes:
    parsed = algos.EncryptionAlgorithm.load(algorithm)
    name = parsed["algorithm"].native
    if name != "aes256_gcm":
        raise AlgorithmNotAllowed(f"this CMS file encrypts its content with {name}; "
                                  "only AES-256-GCM is accepted")
    params = algos.CcmParams.load(parsed["parameters"].dump())
    nonce: bytes = params["aes_nonce"].native
    if len(nonce) != NONCE_BYTES or params["aes_icvlen"].native != TAG_BYTES:
        raise AlgorithmNotAllowed("only AES-256-GCM with a 12-byte nonce and a 16-byte tag "
                                  "is accepted")
    return nonce


def _skip_to_recipient_infos(der: _Der) -> bytes:
    _expect_head(der, 0x30)  # ContentInfo
    _, oid = der.element(0x06)
    if core.ObjectIdentifier.load(oid).dotted != AUTH_ENVELOPED_DATA:
        raise InvalidRequest("this CMS file is not AuthEnvelopedData (RFC 5083); "
                             "sekisho exports only that")
    _expect_head(der, 0xA0)
    _expect_head(der, 0x30)  # AuthEnvelopedData
    der.element(0x02)  # version
    tag, element = der.element()
    if tag == 0xA0:  # originatorInfo: certificates we do not need
        tag, element = der.element()
    if tag != 0x31:
        raise DecryptionFailed()
    return element


def _content_segments(der: _Der) -> Iterator[bytes]:
    """The encryptedContent, primitive [0] or constructed [0] of OCTET STRINGs."""
    tag, length, _ = der.head()
    if tag == 0x80:
        yield from _read_counted(der, length)
        return
    if tag != 0xA0:
        raise DecryptionFailed()
    remaining = length
    while remaining:
        piece_tag, piece_length, header = der.head()
        if piece_tag != 0x04:
            raise DecryptionFailed()
        remaining -= len(header) + piece_length
        if remaining < 0:
            raise DecryptionFailed()
        yield from _read_counted(der, piece_length)


def _read_counted(der: _Der, length: int) -> Iterator[bytes]:
    remaining = length
    while remaining:
        chunk = der.exact(min(READ_CHUNK, remaining))
        remaining -= len(chunk)
        yield chunk


def _mac(der: _Der) -> bytes:
    tag, element = der.element()
    if tag == 0xA1:
        # authAttrs would be the GCM associated data, but they come AFTER the ciphertext:
        # they cannot be fed first in one pass, and sekisho's exports never carry them.
        raise InvalidRequest("CMS files with authenticated attributes are not supported")
    if tag != 0x04:
        raise DecryptionFailed()
    return bytes(core.OctetString.load(element).native)


def decrypt_der(source: BinaryIO, sink: BinaryIO, private_key: PrivateKey) -> int:
    """Decrypt one DER AuthEnvelopedData into ``sink`` (private; discard it if this raises)."""
    der = _Der(source)
    cek = _content_key(_skip_to_recipient_infos(der), private_key)
    _expect_head(der, 0x30)  # EncryptedContentInfo
    der.element(0x06)  # content type: id-data
    _, algorithm = der.element(0x30)
    decryptor = Aes256GcmStreamDecryptor(cek, _nonce(algorithm))
    written = 0
    for chunk in _content_segments(der):
        plain = decryptor.update(chunk)
        sink.write(plain)
        written += len(plain)
    decryptor.finalize(_mac(der))
    return written


# --- PEM and S/MIME wrappers ------------------------------------------------------------


def _base64_lines_to(lines: Iterator[bytes], spool: BinaryIO) -> None:
    for line in lines:
        stripped = line.strip()
        if stripped.startswith(b"-----END"):
            return
        if stripped:
            try:
                spool.write(base64.b64decode(stripped, validate=True))
            except binascii.Error:
                raise DecryptionFailed() from None


def _skip_mime_headers(lines: Iterator[bytes]) -> None:
    size = 0
    for line in lines:
        size += len(line)
        if size > MAX_MIME_HEADER_BYTES:
            raise DecryptionFailed()
        if not line.strip():
            return


def _der_source(source: BinaryIO, spool: BinaryIO) -> BinaryIO:
    """``source`` itself for DER; otherwise its base64 body decoded into ``spool``."""
    head = source.read(64)
    source.seek(0)
    if head[:1] == b"\x30":
        return source
    lines = iter(source)
    if head.lstrip().startswith(PEM_BEGIN):
        next(lines)  # the BEGIN line
    else:
        _skip_mime_headers(lines)
    _base64_lines_to(lines, spool)
    spool.seek(0)
    return spool


class MimeEntitySink:
    """Writes the body of a single-part base64 MIME entity (our S/MIME exports wrap the file
    in one); any other entity is written as it is, like ``openssl cms -decrypt`` does."""

    def __init__(self, sink: BinaryIO) -> None:
        self._sink = sink
        self._header = bytearray()
        self._decoding: bool | None = None  # unknown until the header is complete
        self._pending = b""
        self.written = 0

    def write(self, data: bytes) -> int:
        if self._decoding is None:
            self._header += data
            end = self._header.find(b"\r\n\r\n")
            if end < 0:
                if len(self._header) > MAX_MIME_HEADER_BYTES:
                    self._start(False, bytes(self._header), b"")
                return len(data)
            header, body = bytes(self._header[:end + 4]), bytes(self._header[end + 4:])
            lowered = header.lower()
            decodable = (b"content-transfer-encoding: base64" in lowered
                         and b"multipart/" not in lowered)
            self._start(decodable, header, body)
            return len(data)
        self._feed(data)
        return len(data)

    def _start(self, decodable: bool, header: bytes, body: bytes) -> None:
        self._decoding = decodable
        self._header = bytearray()
        if not decodable:
            self._out(header)
        self._feed(body)

    def _feed(self, data: bytes) -> None:
        if not self._decoding:
            self._out(data)
            return
        joined = self._pending + data
        cut = joined.rfind(b"\n") + 1
        self._pending = joined[cut:]
        self._decode(joined[:cut])

    def _decode(self, text: bytes) -> None:
        compact = b"".join(text.split())
        if compact:
            try:
                self._out(base64.b64decode(compact, validate=True))
            except binascii.Error:
                raise DecryptionFailed() from None

    def _out(self, data: bytes) -> None:
        self._sink.write(data)
        self.written += len(data)

    def close(self) -> int:
        if self._decoding is None:
            self._start(False, bytes(self._header), b"")
        elif self._decoding:
            self._decode(self._pending)
        return self.written


def open_cms(source: BinaryIO, sink: BinaryIO, private_key: PrivateKey) -> int:
    """Decrypt a CMS export in any of our encodings into ``sink``; returns bytes written."""
    head = source.read(64)
    source.seek(0)
    smime = head[:1] != b"\x30" and not head.lstrip().startswith(PEM_BEGIN)
    with tempfile.TemporaryFile() as spool:  # ciphertext only: base64 decoded, not decrypted
        der = _der_source(source, spool)
        if not smime:
            return decrypt_der(der, sink, private_key)
        entity = MimeEntitySink(sink)
        decrypt_der(der, entity, private_key)  # type: ignore[arg-type]
        return entity.close()
