"""Who an export is for: a recipient's public key, from a certificate or a bare public key.

CMS needs a certificate (the recipient is named by issuer and serial number, which is how
``openssl cms -decrypt -recip`` finds its key); the sealed format names the recipient by the
SHA-256 of its SubjectPublicKeyInfo, so a bare public key is enough there.

Input is untrusted (a file someone handed in): parsing failures are ``invalid_request``, and
key types and sizes go through the allow-list (RSA >= 3072, EC P-256 only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509

from core.errors import AlgorithmNotAllowed, InvalidRequest
from keys.allowlist import require_allowed
from keys.primitives.asymmetric import ECDH_P256, RSA_OAEP, PrivateKey, PublicKey

MAX_KEY_FILE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Recipient:
    """A recipient public key, and its certificate when one was given."""

    public_key: PublicKey
    certificate_der: bytes | None = field(default=None, repr=False)

    @property
    def algorithm(self) -> str:
        """The key-establishment algorithm this key is used with."""
        return RSA_OAEP if self.public_key.kind == "rsa" else ECDH_P256

    @property
    def fingerprint_hex(self) -> str:
        return self.public_key.fingerprint().hex()

    def certificate(self) -> asn1_x509.Certificate:
        if self.certificate_der is None:
            raise InvalidRequest("a recipient certificate (not a bare public key) is required")
        return asn1_x509.Certificate.load(self.certificate_der)


def _check_recipient_key(public_key: PublicKey) -> PublicKey:
    if public_key.kind == "rsa":
        require_allowed(RSA_OAEP, key_bits=public_key.bits, new_work=True)
    elif public_key.curve != "secp256r1":
        raise AlgorithmNotAllowed(
            f"elliptic-curve recipients must use P-256 (got {public_key.curve})"
        )
    else:
        require_allowed(ECDH_P256, key_bits=256, new_work=True)
    return public_key


def _der_and_label(data: bytes) -> tuple[bytes, str]:
    if asn1_pem.detect(data):
        try:
            label, _headers, der = asn1_pem.unarmor(data)
        except ValueError:
            raise InvalidRequest("the PEM file could not be read") from None
        return der, str(label)
    return data, "CERTIFICATE"


def parse_recipient(data: bytes) -> Recipient:
    """A certificate (PEM or DER) or a PEM ``PUBLIC KEY``."""
    der, label = _der_and_label(data)
    try:
        if label == "PUBLIC KEY":
            spki = asn1_keys.PublicKeyInfo.load(der, strict=True)
            return Recipient(_check_recipient_key(PublicKey.from_spki_der(spki.dump())))
        if label not in ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"):
            raise InvalidRequest(f"expected a certificate or public key, got {label!r}")
        cert = asn1_x509.Certificate.load(der, strict=True)
        spki_der = cert["tbs_certificate"]["subject_public_key_info"].dump()
    except (ValueError, TypeError, KeyError):
        raise InvalidRequest("the recipient certificate could not be read") from None
    public_key = _check_recipient_key(PublicKey.from_spki_der(spki_der))
    return Recipient(public_key, cert.dump())


def read_small_file(path: Path, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise InvalidRequest(f"cannot read the {what}: {exc.strerror}") from None
    if len(data) > MAX_KEY_FILE_BYTES:
        raise InvalidRequest(f"the {what} is too large")
    return data


def load_recipient(path: Path) -> Recipient:
    return parse_recipient(read_small_file(path, "recipient certificate"))


def load_private_key(path: Path, password: bytes | None = None) -> PrivateKey:
    """The recipient's own private key (PEM), to open a sealed export."""
    return PrivateKey.from_pem(read_small_file(path, "private key"), password)
