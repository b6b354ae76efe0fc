"""CMS AuthEnvelopedData exports (RFC 5083/5084): RSA-OAEP-SHA-256 + AES-256-GCM.

The first choice in reference/crypto.md: ``openssl cms -decrypt`` (OpenSSL 3) and S/MIME mail
clients open it. pyca's PKCS7EnvelopeBuilder can only do PKCS#1 v1.5 + CBC, so the ASN.1 is
built here with asn1crypto around our primitives. EC recipients are refused: through
``openssl cms`` ECDH means a SHA-1 KDF and AES-KW, neither on the CRYPTREC list.

The structure is written as a stream: AES-GCM ciphertext has the plaintext's length, so every
DER length is known before the first byte and any size is encrypted in constant memory; the tag
goes in the ``mac`` field after the ciphertext. Without authenticated attributes the GCM
associated data is empty (RFC 5083 section 2.2).

Encodings: ``der``; ``pem`` (``-----BEGIN CMS-----``); ``smime``: an RFC 8551
application/pkcs7-mime message whose encrypted content is a MIME attachment part, as mail
clients expect.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from asn1crypto import algos, cms, core

from core.errors import AlgorithmNotAllowed, InvalidRequest
from keys.export.atomic import atomic_output
from keys.export.mime import Base64Lines, MimeAttachment, smime_headers
from keys.export.recipients import Recipient
from keys.primitives.aead import KEY_BYTES, NONCE_BYTES
from keys.primitives.asymmetric import RSA_OAEP, rsa_oaep_encrypt
from keys.primitives.gcm_stream import ALGORITHM as CONTENT_ALGORITHM
from keys.primitives.gcm_stream import TAG_BYTES, Aes256GcmStreamEncryptor
from keys.primitives.randomness import random_bytes

CmsEncoding = Literal["der", "pem", "smime"]
ENCODINGS: tuple[CmsEncoding, ...] = ("der", "pem", "smime")
# NIST SP 800-38D: at most 2**39 - 256 bits of plaintext under one GCM invocation.
MAX_CONTENT_BYTES = (2**39 - 256) // 8
READ_CHUNK = 1024 * 1024
_MAC_HEAD = bytes((0x04, TAG_BYTES))  # OCTET STRING of the 16-byte tag


@dataclass(frozen=True)
class CmsExportInfo:
    encoding: CmsEncoding
    plaintext_bytes: int
    recipient_fingerprint: str
    recipient_serial: int
    key_transport: str = RSA_OAEP
    content_encryption: str = CONTENT_ALGORITHM


def _tlv_head(tag: int, length: int) -> bytes:
    if length < 0x80:
        return bytes((tag, length))
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(body))) + body


def _recipient_infos(recipient: Recipient, cek: bytes) -> bytes:
    if recipient.public_key.kind != "rsa":
        raise AlgorithmNotAllowed(
            "CMS exports need an RSA (>= 3072) recipient: ECDH through openssl cms uses a "
            "SHA-1 KDF and AES-KW, which are not on the CRYPTREC list; use --format sealed"
        )
    cert = recipient.certificate()
    oaep = algos.RSAESOAEPParams({
        "hash_algorithm": {"algorithm": "sha256"},
        "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": "sha256"}},
    })
    ktri = cms.KeyTransRecipientInfo({
        "version": "v0",
        "rid": cms.RecipientIdentifier({"issuer_and_serial_number": {
            "issuer": cert.issuer, "serial_number": cert.serial_number}}),
        "key_encryption_algorithm": {"algorithm": "rsaes_oaep", "parameters": oaep},
        "encrypted_key": rsa_oaep_encrypt(recipient.public_key, cek),
    })
    dumped: bytes = cms.RecipientInfos([cms.RecipientInfo({"ktri": ktri})]).dump()
    return dumped


def _content_algorithm(nonce: bytes) -> bytes:
    # RFC 5084 GCMParameters has the same shape as CCMParameters; aes-ICVlen is written
    # because 16 differs from its DEFAULT of 12 (DER omits only default values).
    params = algos.CcmParams({"aes_nonce": nonce, "aes_icvlen": TAG_BYTES})
    algorithm = algos.EncryptionAlgorithm({
        "algorithm": "aes256_gcm", "parameters": core.Any.load(params.dump())})
    dumped: bytes = algorithm.dump()
    return dumped


def auth_enveloped_prefix(recipient_infos: bytes, algorithm: bytes, content_len: int) -> bytes:
    """Every DER byte before the ciphertext, for ``content_len`` bytes of content."""
    inner_type = cms.ContentType("data").dump()
    content_head = _tlv_head(0x80, content_len)  # [0] IMPLICIT OCTET STRING, primitive
    eci_len = len(inner_type) + len(algorithm) + len(content_head) + content_len
    eci_head = _tlv_head(0x30, eci_len)
    version = core.Integer(0).dump()
    aed_len = len(version) + len(recipient_infos) + len(eci_head) + eci_len + 2 + TAG_BYTES
    aed_head = _tlv_head(0x30, aed_len)
    explicit_head = _tlv_head(0xA0, len(aed_head) + aed_len)
    outer_type = cms.ContentType("authenticated_enveloped_data").dump()
    total = len(outer_type) + len(explicit_head) + len(aed_head) + aed_len
    return b"".join((
        _tlv_head(0x30, total), outer_type, explicit_head, aed_head, version, recipient_infos,
        eci_head, inner_type, algorithm, content_head,
    ))


class _EncryptingSink:
    def __init__(self, encryptor: Aes256GcmStreamEncryptor, sink: BinaryIO | Base64Lines):
        self._encryptor, self._sink = encryptor, sink

    def write(self, data: bytes) -> int:
        self._sink.write(self._encryptor.update(data))
        return len(data)


def _copy_exactly(source: BinaryIO, size: int, sink: _EncryptingSink | Base64Lines) -> None:
    remaining = size
    while remaining:
        chunk = source.read(min(READ_CHUNK, remaining))
        if not chunk:
            raise InvalidRequest("the source file shrank while it was being sealed")
        sink.write(chunk)
        remaining -= len(chunk)
    if source.read(1):
        raise InvalidRequest("the source file grew while it was being sealed")


def write_cms(
    source: BinaryIO, size: int, sink: BinaryIO, recipient: Recipient, *,
    encoding: CmsEncoding = "der", filename: str = "document",
) -> CmsExportInfo:
    """Encrypt ``size`` bytes of ``source`` for ``recipient`` into ``sink``."""
    if encoding not in ENCODINGS:
        raise InvalidRequest(f"CMS encoding must be one of {', '.join(ENCODINGS)}")
    attachment = MimeAttachment(filename, size) if encoding == "smime" else None
    content_len = attachment.length if attachment is not None else size
    if content_len > MAX_CONTENT_BYTES:
        raise InvalidRequest("the file is too large for one AES-GCM message")
    cek, nonce = random_bytes(KEY_BYTES), random_bytes(NONCE_BYTES)
    prefix = auth_enveloped_prefix(_recipient_infos(recipient, cek), _content_algorithm(nonce),
                                   content_len)
    out = _outer(sink, encoding)
    out.write(prefix)
    encryptor = Aes256GcmStreamEncryptor(cek, nonce)
    _write_content(source, size, _EncryptingSink(encryptor, out), attachment)
    out.write(_MAC_HEAD + encryptor.finalize())
    if isinstance(out, Base64Lines):
        out.close()
        sink.write(b"-----END CMS-----\n" if encoding == "pem" else b"")
    cert = recipient.certificate()
    return CmsExportInfo(encoding, size, recipient.fingerprint_hex, int(cert.serial_number))


def _write_content(source: BinaryIO, size: int, encrypting: _EncryptingSink,
                   attachment: MimeAttachment | None) -> None:
    if attachment is None:
        _copy_exactly(source, size, encrypting)
        return
    encrypting.write(attachment.header)
    body = Base64Lines(encrypting, line_chars=76, newline=b"\r\n")
    _copy_exactly(source, size, body)
    body.close()


def _outer(sink: BinaryIO, encoding: CmsEncoding) -> BinaryIO | Base64Lines:
    if encoding == "der":
        return sink
    if encoding == "pem":
        sink.write(b"-----BEGIN CMS-----\n")
        return Base64Lines(sink, line_chars=64, newline=b"\n")
    sink.write(smime_headers())
    return Base64Lines(sink, line_chars=76, newline=b"\r\n")


def export_cms_file(
    source: Path, output: Path, recipient: Recipient, *, encoding: CmsEncoding = "der",
) -> CmsExportInfo:
    """Seal ``source`` into ``output`` (all-or-nothing)."""
    with open(source, "rb") as src, atomic_output(output) as sink:
        size = os.fstat(src.fileno()).st_size
        return write_cms(src, size, sink, recipient, encoding=encoding,
                         filename=Path(source).name)
