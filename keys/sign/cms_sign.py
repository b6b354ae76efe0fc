"""Detached CMS signatures (RFC 5652 SignedData) over exported files and erasure records.

Issue 5, item 5 / Saitama 第6 1(5): integrity-2 documents carry a signature; a detached one
leaves the file itself untouched and verifies with ``openssl cms -verify -binary -inform DER
-content FILE -CAfile cert``. Signed attributes: content type, signing time, message digest
(SHA-256) and CMSAlgorithmProtection (RFC 6211, so the algorithms cannot be swapped under the
signature). The signer's certificate is embedded; trust comes from the verifier's pinned
certificates, never from the embedded copy.
"""

from __future__ import annotations

import datetime
import functools
from pathlib import Path

from asn1crypto import algos, cms, core

from keys.primitives.digest import sha256_file
from keys.primitives.mac import sha256
from keys.primitives.signing import ECDSA_P256_SHA256, PSS_SALT_BYTES, RSA_PSS_SHA256
from keys.sign.signer import Signer

DIGEST_ALGORITHM = "SHA-256"


def signature_algorithm_identifier(algorithm: str) -> algos.SignedDigestAlgorithm:
    """The CMS AlgorithmIdentifier for one of our signature algorithms."""
    if algorithm == ECDSA_P256_SHA256:
        return algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
    if algorithm == RSA_PSS_SHA256:
        return algos.SignedDigestAlgorithm({
            "algorithm": "rsassa_pss",
            "parameters": algos.RSASSAPSSParams({
                "hash_algorithm": {"algorithm": "sha256"},
                "mask_gen_algorithm": {"algorithm": "mgf1",
                                       "parameters": {"algorithm": "sha256"}},
                "salt_length": PSS_SALT_BYTES,
            }),
        })
    raise ValueError(f"no CMS identifier for {algorithm!r}")


def _tlv(tag: int, body: bytes) -> bytes:
    """One DER element (the structure is assembled by hand: asn1crypto's object building
    cost ~10 ms per signature, which would dominate signing thousands of erasure records)."""
    length = len(body)
    if length < 0x80:
        return bytes((tag, length)) + body
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + body


_V1 = core.Integer(1).dump()
_SHA256 = algos.DigestAlgorithm({"algorithm": "sha256"}).dump()
_DETACHED_DATA = cms.EncapsulatedContentInfo({"content_type": "data"}).dump()
_SIGNED_DATA = cms.ContentType("signed_data").dump()
_MESSAGE_DIGEST = cms.CMSAttributeType("message_digest").dump()
_SIGNING_TIME = cms.CMSAttributeType("signing_time").dump()


@functools.lru_cache(maxsize=16)
def _static_parts(certificate_der: bytes, algorithm: str) -> tuple[bytes, bytes, tuple[bytes, ...]]:
    """Per signer: SignerIdentifier, signature AlgorithmIdentifier, constant attributes."""
    certificate = cms.Certificate.load(certificate_der)
    sid = cms.IssuerAndSerialNumber({
        "issuer": certificate.issuer, "serial_number": certificate.serial_number}).dump()
    signature_algorithm = signature_algorithm_identifier(algorithm)
    constant = (
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}).dump(),
        cms.CMSAttribute({"type": "cms_algorithm_protection", "values": [
            cms.CMSAlgorithmProtection({
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "signature_algorithm": signature_algorithm,
            })]}).dump(),
    )
    return sid, signature_algorithm.dump(), constant


def _signed_attributes(digest: bytes, when: datetime.datetime, constant: tuple[bytes, ...]
                       ) -> bytes:
    """The signed attributes as a DER SET OF (elements sorted, X.690 11.6)."""
    if not 1950 <= when.year < 2050:
        raise ValueError("signing time outside the UTCTime range")
    signing_time = _tlv(0x17, when.strftime("%y%m%d%H%M%SZ").encode("ascii"))
    attributes = [
        *constant,
        _tlv(0x30, _MESSAGE_DIGEST + _tlv(0x31, _tlv(0x04, digest))),
        _tlv(0x30, _SIGNING_TIME + _tlv(0x31, signing_time)),
    ]
    return _tlv(0x31, b"".join(sorted(attributes)))


def sign_detached_digest(
    digest: bytes, signer: Signer, *, signing_time: datetime.datetime | None = None,
) -> bytes:
    """A DER ContentInfo(SignedData) over content whose SHA-256 is ``digest``."""
    if len(digest) != 32:
        raise ValueError("expected a SHA-256 digest")
    when = (signing_time or datetime.datetime.now(datetime.UTC)).astimezone(datetime.UTC)
    certificate_der = signer.certificate.der
    sid, signature_algorithm, constant = _static_parts(certificate_der, signer.algorithm)
    attributes = _signed_attributes(digest, when, constant)
    # RFC 5652 5.4: the signature covers the attributes as a SET OF (tag 0x31); in the
    # SignerInfo they sit under [0] IMPLICIT (tag 0xA0) with the same content.
    signature = signer.sign_raw(attributes)
    signer_info = _tlv(0x30, b"".join((
        _V1, sid, _SHA256, b"\xa0" + attributes[1:], signature_algorithm, _tlv(0x04, signature),
    )))
    signed_data = _tlv(0x30, b"".join((
        _V1, _tlv(0x31, _SHA256), _DETACHED_DATA, _tlv(0xA0, certificate_der),
        _tlv(0x31, signer_info),
    )))
    return _tlv(0x30, _SIGNED_DATA + _tlv(0xA0, signed_data))


def sign_detached(data: bytes, signer: Signer) -> bytes:
    """Detached CMS signature (DER) over ``data``. Stable: erasure records rely on it."""
    return sign_detached_digest(sha256(data), signer)


def sign_record(record_json: bytes, signer: Signer) -> bytes:
    """A signed erasure (or any) record: the same detached signature over its JSON bytes."""
    return sign_detached(record_json, signer)


def sign_file(path: Path, signer: Signer) -> bytes:
    """Detached CMS signature over a file of any size (hashed in constant memory)."""
    return sign_detached_digest(sha256_file(path), signer)
