"""PBKDF2-HMAC-SHA-256 (RFC 8018) for password-protected exports.

Built only from listed parts (HMAC-SHA-256); scrypt and Argon2 are unlisted primitives
(reference/crypto.md). The iteration floor follows OWASP's 2023 figure for PBKDF2-HMAC-SHA256
(600,000); the ceiling bounds the work a hostile header can demand of the reader.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from keys.allowlist import PBKDF2_MIN_ITERATIONS, require_allowed

ALGORITHM = "PBKDF2-HMAC-SHA-256"
MIN_ITERATIONS = PBKDF2_MIN_ITERATIONS
MAX_ITERATIONS = 10_000_000
MIN_SALT_BYTES = 16


def pbkdf2_hmac_sha256(
    password: bytes, *, salt: bytes, iterations: int, length: int = 32, new_work: bool = True
) -> bytes:
    require_allowed(ALGORITHM, key_bits=max(len(password), 1) * 8, iterations=iterations,
                    new_work=new_work)
    if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        raise ValueError(f"iterations must be {MIN_ITERATIONS}..{MAX_ITERATIONS}")
    if len(salt) < MIN_SALT_BYTES:
        raise ValueError(f"the salt must be at least {MIN_SALT_BYTES} bytes")
    if not password:
        raise ValueError("the password is empty")
    return PBKDF2HMAC(hashes.SHA256(), length, salt, iterations).derive(password)
