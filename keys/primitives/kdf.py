"""HKDF-SHA-256 (RFC 5869): built only from listed parts (HMAC-SHA-256), see crypto.md."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keys.allowlist import require_allowed

ALGORITHM = "HKDF-SHA-256"


def hkdf_sha256(
    ikm: bytes, *, salt: bytes, info: bytes, length: int = 32, new_work: bool = True
) -> bytes:
    """Derive ``length`` bytes. ``new_work=False`` when deriving only to open existing data."""
    require_allowed(ALGORITHM, key_bits=len(ikm) * 8, new_work=new_work)
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)
