"""Signature primitives: ECDSA P-256 / RSA-PSS 3072 with SHA-256, and self-signed certificates.

Saitama 第6 1(5) asks for signatures on integrity-2 information with CRYPTREC algorithms:
ECDSA P-256 and RSA-PSS >= 3072 (reference/crypto.md; DSA and SHA-1 are refused). RSA-PSS
uses MGF1-SHA-256 and a 32-byte salt (the digest length, RFC 4055 / RFC 8017 advice).

:class:`SigningKey` is an opaque handle: no bytes in its repr, no pickling. Its raw PKCS#8
form leaves only through :meth:`SigningKey.export_pkcs8_der`, which demands the greppable
:data:`keys.capabilities.EXPORT_RAW_KEY` (issue 5, item 8); the only caller
(keys.sign.store) seals it under a KEK-wrapped key at once.
"""

from __future__ import annotations

import datetime
from typing import NoReturn

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from core.errors import AlgorithmNotAllowed, KeyUnavailable
from keys.allowlist import require_allowed
from keys.capabilities import EXPORT_RAW_KEY, Capability, require_capability
from keys.primitives.asymmetric import PublicKey

ECDSA_P256_SHA256 = "ECDSA-P256-SHA-256"
RSA_PSS_SHA256 = "RSA-PSS-SHA-256"
SIGNATURE_ALGORITHMS = (ECDSA_P256_SHA256, RSA_PSS_SHA256)
RSA_SIGNING_BITS = 3072
PSS_SALT_BYTES = 32


def _pss(salt_length: int = PSS_SALT_BYTES) -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt_length)


def _algorithm_of(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return RSA_PSS_SHA256
    if isinstance(key.curve, ec.SECP256R1):
        return ECDSA_P256_SHA256
    raise AlgorithmNotAllowed(f"signing keys on {key.curve.name} are not supported")


class SigningKey:
    """A private signing key. Sign with :meth:`sign`; it never shows its bytes."""

    __slots__ = ("_key",)

    def __init__(self, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> None:
        _algorithm_of(key)  # refuse anything but P-256 / RSA up front
        self._key = key

    @classmethod
    def generate(cls, algorithm: str = ECDSA_P256_SHA256) -> SigningKey:
        if algorithm == ECDSA_P256_SHA256:
            require_allowed(algorithm, key_bits=256, new_work=True)
            return cls(ec.generate_private_key(ec.SECP256R1()))
        if algorithm == RSA_PSS_SHA256:
            require_allowed(algorithm, key_bits=RSA_SIGNING_BITS, new_work=True)
            return cls(rsa.generate_private_key(65537, RSA_SIGNING_BITS))
        raise AlgorithmNotAllowed(f"{algorithm!r} is not a signing algorithm sekisho offers")

    @classmethod
    def from_pkcs8_der(cls, der: bytes) -> SigningKey:
        try:
            key = serialization.load_der_private_key(der, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise KeyUnavailable("the stored signing key could not be read") from None
        if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            raise KeyUnavailable("the stored signing key is of an unsupported type")
        return cls(key)

    @property
    def algorithm(self) -> str:
        return _algorithm_of(self._key)

    @property
    def bits(self) -> int:
        return self._key.key_size

    def public_key(self) -> PublicKey:
        return PublicKey(self._key.public_key())

    def sign(self, data: bytes) -> bytes:
        """Hash ``data`` with SHA-256 and sign it (DER ECDSA-Sig-Value, or the PSS block)."""
        require_allowed(self.algorithm, key_bits=self.bits, new_work=True)
        require_allowed("SHA-256", new_work=True)
        if isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, _pss(), hashes.SHA256())
        return self._key.sign(data, ec.ECDSA(hashes.SHA256()))

    def export_pkcs8_der(self, capability: Capability) -> bytes:
        """Raw private key (PKCS#8 DER); needs :data:`EXPORT_RAW_KEY`. keys.sign.store seals
        it under a KEK-wrapped key at once; nothing else should ever call this."""
        require_capability(capability, EXPORT_RAW_KEY)
        return self._key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def self_signed_certificate(self, common_name: str, *, days: int) -> bytes:
        """A self-signed X.509 certificate (DER) for this key, usable for document signing.

        keyUsage digitalSignature + nonRepudiation and no extendedKeyUsage, so OpenSSL's
        S/MIME purpose check and PDF validators both accept it as a pinned trust anchor.
        """
        name = x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sekisho"),
        ])
        now = datetime.datetime.now(datetime.UTC)
        public = self._key.public_key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_SIGNING_KEY_USAGE, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        )
        return self._sign_certificate(builder).public_bytes(serialization.Encoding.DER)

    def _sign_certificate(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        require_allowed(self.algorithm, key_bits=self.bits, new_work=True)
        if isinstance(self._key, rsa.RSAPrivateKey):
            return builder.sign(self._key, hashes.SHA256(), rsa_padding=_pss())
        return builder.sign(self._key, hashes.SHA256())

    def __repr__(self) -> str:
        return f"SigningKey({self.algorithm}, {self.bits} bits)"

    __str__ = __repr__

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("a SigningKey cannot be pickled or copied")


_SIGNING_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def verify_signature(
    public: PublicKey, algorithm: str, signature: bytes, data: bytes, *,
    pss_salt_length: int = PSS_SALT_BYTES,
) -> bool:
    """True if ``signature`` is ``algorithm`` over SHA-256(``data``) by ``public``.

    Opening existing data (``new_work=False``): a withdrawn algorithm still verifies, one
    that is not on the list (or a key that is too small) raises AlgorithmNotAllowed.
    """
    key = public.native()
    require_allowed(algorithm, key_bits=key.key_size, new_work=False)
    require_allowed("SHA-256", new_work=False)
    try:
        if algorithm == RSA_PSS_SHA256 and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, _pss(pss_salt_length), hashes.SHA256())
            return True
        if algorithm == ECDSA_P256_SHA256 and isinstance(key, ec.EllipticCurvePublicKey):
            if not isinstance(key.curve, ec.SECP256R1):
                return False
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            return True
    except (InvalidSignature, ValueError):
        return False
    return False
