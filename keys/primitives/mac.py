"""HMAC-SHA-256 and SHA-256 from the stdlib, still gated by the allow-list."""

from __future__ import annotations

import hashlib
import hmac

from keys.allowlist import require_allowed

HMAC_SHA256 = "HMAC-SHA-256"
SHA256 = "SHA-256"


def hmac_sha256(key: bytes, data: bytes, *, new_work: bool = True) -> bytes:
    require_allowed(HMAC_SHA256, key_bits=len(key) * 8, new_work=new_work)
    return hmac.new(key, data, hashlib.sha256).digest()


def sha256(data: bytes, *, new_work: bool = True) -> bytes:
    require_allowed(SHA256, new_work=new_work)
    return hashlib.sha256(data).digest()


def equal_constant_time(a: bytes, b: bytes) -> bool:
    """Compare MACs without a timing side channel."""
    return hmac.compare_digest(a, b)
