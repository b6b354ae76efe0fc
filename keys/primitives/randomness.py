"""Secure random bytes (the OS CSPRNG), for keys, salts, nonces and key ids."""

from __future__ import annotations

import secrets


def random_bytes(length: int) -> bytes:
    if length <= 0:
        raise ValueError("length must be positive")
    return secrets.token_bytes(length)


def random_hex(length: int) -> str:
    """``length`` random bytes as lower-case hex (for identifiers, never for keys)."""
    return random_bytes(length).hex()
