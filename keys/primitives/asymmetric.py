"""Public-key primitives for exports: RSA-OAEP-SHA-256 key transport and ECDH on P-256.

CRYPTREC (reference/crypto.md): key transport is RSA-OAEP with SHA-256 and MGF1-SHA-256 on
RSA >= 3072 (PKCS#1 v1.5 is on the monitored list); key agreement is ECDH on a NIST curve with
an HMAC-based KDF (X25519 is not listed). Every call asks :mod:`keys.allowlist` first.

Keys cross this boundary only as handles: :class:`PublicKey` (not secret, built from a
SubjectPublicKeyInfo) and :class:`PrivateKey` (secret: no bytes in its repr, cannot be
pickled). Failures to decrypt or agree are the one opaque :class:`DecryptionFailed`.
"""

from __future__ import annotations

import hashlib
from typing import Literal, NoReturn

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from core.errors import AlgorithmNotAllowed, DecryptionFailed, InvalidRequest
from keys.allowlist import require_allowed

RSA_OAEP = "RSA-OAEP-SHA-256"
ECDH_P256 = "ECDH-P256"
P256_POINT_BYTES = 65  # SEC1 uncompressed: 0x04 || X(32) || Y(32)

KeyKind = Literal["rsa", "ec"]
_OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def _kind_of(key: object) -> KeyKind:
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        return "rsa"
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        return "ec"
    raise AlgorithmNotAllowed("only RSA and elliptic-curve keys are allowed")


class PublicKey:
    """A recipient's or signer's public key (RSA or EC)."""

    __slots__ = ("_key",)

    def __init__(self, key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> None:
        self._key = key

    @classmethod
    def from_spki_der(cls, spki_der: bytes) -> PublicKey:
        try:
            key = serialization.load_der_public_key(spki_der)
        except (ValueError, UnsupportedAlgorithm):
            raise InvalidRequest("the public key could not be read") from None
        if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
            raise AlgorithmNotAllowed("only RSA and elliptic-curve keys are allowed")
        return cls(key)

    @property
    def kind(self) -> KeyKind:
        return _kind_of(self._key)

    @property
    def bits(self) -> int:
        return self._key.key_size

    @property
    def curve(self) -> str | None:
        return self._key.curve.name if isinstance(self._key, ec.EllipticCurvePublicKey) else None

    def spki_der(self) -> bytes:
        return self._key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def fingerprint(self) -> bytes:
        """SHA-256 of the SubjectPublicKeyInfo: names a key without revealing anything."""
        require_allowed("SHA-256", new_work=False)
        return hashlib.sha256(self.spki_der()).digest()

    def ec_point(self) -> bytes:
        """The uncompressed SEC1 point of an EC key (what ECDH peers exchange)."""
        if not isinstance(self._key, ec.EllipticCurvePublicKey):
            raise AlgorithmNotAllowed("not an elliptic-curve key")
        return self._key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )

    def native(self) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
        """The library object, for other primitives modules only."""
        return self._key

    def __repr__(self) -> str:
        return f"PublicKey({self.kind}, {self.curve or self.bits})"


def _require_p256(curve: ec.EllipticCurve, *, new_work: bool) -> None:
    if not isinstance(curve, ec.SECP256R1):
        raise AlgorithmNotAllowed(f"ECDH exports use P-256, not {curve.name}")
    require_allowed(ECDH_P256, key_bits=256, new_work=new_work)


def rsa_oaep_encrypt(recipient: PublicKey, plaintext: bytes) -> bytes:
    """RSA-OAEP-SHA-256 (MGF1-SHA-256, empty label) to an RSA >= 3072 recipient."""
    key = recipient.native()
    if not isinstance(key, rsa.RSAPublicKey):
        raise AlgorithmNotAllowed("RSA-OAEP needs an RSA key")
    require_allowed(RSA_OAEP, key_bits=key.key_size, new_work=True)
    return key.encrypt(plaintext, _OAEP)


def ecdh_p256_ephemeral(recipient: PublicKey) -> tuple[bytes, bytes]:
    """Fresh ephemeral P-256 key against ``recipient``: (shared secret, ephemeral point).

    The shared secret is only ever fed to HKDF-SHA-256 by the caller (never used as a key).
    """
    peer = recipient.native()
    if not isinstance(peer, ec.EllipticCurvePublicKey):
        raise AlgorithmNotAllowed("ECDH needs an elliptic-curve key")
    _require_p256(peer.curve, new_work=True)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    shared = ephemeral.exchange(ec.ECDH(), peer)
    point = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return shared, point


class PrivateKey:
    """A recipient's private key (RSA or EC), loaded to open an export. Never shows bytes."""

    __slots__ = ("_key",)

    def __init__(self, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> None:
        self._key = key

    @classmethod
    def from_pem(cls, data: bytes, password: bytes | None = None) -> PrivateKey:
        try:
            key = serialization.load_pem_private_key(data, password=password)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            # No library detail: it could mention what kind of key or password was expected.
            raise InvalidRequest("the private key could not be read") from None
        if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            raise AlgorithmNotAllowed("only RSA and elliptic-curve keys are allowed")
        return cls(key)

    @property
    def kind(self) -> KeyKind:
        return _kind_of(self._key)

    def public_key(self) -> PublicKey:
        return PublicKey(self._key.public_key())

    def rsa_oaep_decrypt(self, ciphertext: bytes) -> bytes:
        if not isinstance(self._key, rsa.RSAPrivateKey):
            raise DecryptionFailed()
        require_allowed(RSA_OAEP, key_bits=self._key.key_size, new_work=False)
        try:
            return self._key.decrypt(ciphertext, _OAEP)
        except ValueError:
            raise DecryptionFailed() from None

    def ecdh_p256(self, peer_point: bytes) -> bytes:
        """Shared secret with the peer's uncompressed P-256 point; bad points are opaque."""
        if not isinstance(self._key, ec.EllipticCurvePrivateKey):
            raise DecryptionFailed()
        _require_p256(self._key.curve, new_work=False)
        try:
            peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), peer_point)
            return self._key.exchange(ec.ECDH(), peer)
        except ValueError:
            raise DecryptionFailed() from None

    def __repr__(self) -> str:
        return f"PrivateKey({self.kind})"

    __str__ = __repr__

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("a PrivateKey cannot be pickled or copied")
