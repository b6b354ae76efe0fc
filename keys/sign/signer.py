"""The service's signer: a signing key handle and its certificate, never the key bytes.

Saitama 第6 1(5): integrity-2 information is signed, with CRYPTREC algorithms (ECDSA P-256 by
default, RSA-PSS 3072 on request; reference/crypto.md). The key lives sealed in the KEK
directory (keys.sign.store); here it is an opaque handle like keys.handles.DataKey.
"""

from __future__ import annotations

from typing import NoReturn

from keys.primitives.signing import ECDSA_P256_SHA256, SigningKey
from keys.sign.certificates import TrustedCertificate, parse_certificate

DEFAULT_SIGNATURE_ALGORITHM = ECDSA_P256_SHA256
DEFAULT_COMMON_NAME = "sekisho document signing"
CERTIFICATE_DAYS = 3650


class Signer:
    """Signs with the key whose certificate it carries. Cannot be printed or pickled."""

    __slots__ = ("_certificate", "_key", "key_id")

    def __init__(self, key: SigningKey, certificate_der: bytes, key_id: str) -> None:
        certificate = parse_certificate(certificate_der)
        if certificate.public_key().spki_der() != key.public_key().spki_der():
            raise ValueError("the certificate is not for this signing key")
        self._key = key
        self._certificate = certificate
        self.key_id = key_id

    @classmethod
    def generate(
        cls, key_id: str, *, algorithm: str = DEFAULT_SIGNATURE_ALGORITHM,
        common_name: str = DEFAULT_COMMON_NAME,
    ) -> Signer:
        """A fresh key and self-signed certificate (keys.sign.store persists them)."""
        key = SigningKey.generate(algorithm)
        return cls(key, key.self_signed_certificate(common_name, days=CERTIFICATE_DAYS), key_id)

    @property
    def algorithm(self) -> str:
        return self._key.algorithm

    @property
    def certificate(self) -> TrustedCertificate:
        return self._certificate

    @property
    def certificate_pem(self) -> str:
        return self._certificate.pem()

    def sign_raw(self, data: bytes) -> bytes:
        """SHA-256 + the signer's algorithm over ``data`` (for CMS signed attributes)."""
        return self._key.sign(data)

    def signing_key(self) -> SigningKey:
        """The handle itself, for keys.sign.store to seal; not for the service."""
        return self._key

    def __repr__(self) -> str:
        return f"Signer(key_id={self.key_id!r}, algorithm={self.algorithm!r})"

    __str__ = __repr__

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("a Signer holds a private key and cannot be pickled")
