"""Export passwords: generated strong by default, checked when a person supplies one.

PDF R6 has a cheap password KDF (reference/crypto.md), so the password itself must carry the
strength: a generated one is 24 symbols from a 56-symbol alphabet (about 139 bits, above the
128-bit floor), without look-alike characters because people retype it from another channel.
The password is returned to the caller and never written into the package (no PPAP).
"""

from __future__ import annotations

import math
import secrets
from pathlib import Path

from core.errors import InvalidRequest
from keys.export.errors import WeakPassword

# No 0/O/o, 1/l/I: the password travels by another channel and is often typed by hand.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
GENERATED_LENGTH = 24
MIN_GENERATED_BITS = 128
# A person-chosen password cannot be measured; length is the one rule we can state plainly.
MIN_SUPPLIED_CHARS = 16
MAX_PASSWORD_CHARS = 1024
MAX_PASSWORD_FILE_BYTES = 4096


def generated_password_bits() -> float:
    return GENERATED_LENGTH * math.log2(len(set(ALPHABET)))


def generate_password() -> str:
    """A fresh random password from the OS CSPRNG (``secrets``)."""
    if generated_password_bits() < MIN_GENERATED_BITS:  # guards edits to the constants
        raise AssertionError("generated passwords would be below 128 bits")
    return "".join(secrets.choice(ALPHABET) for _ in range(GENERATED_LENGTH))


def check_supplied_password(password: str) -> str:
    if len(password) < MIN_SUPPLIED_CHARS:
        raise WeakPassword(
            f"export passwords need at least {MIN_SUPPLIED_CHARS} characters "
            "(or omit the password file to have a strong one generated)"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidRequest(f"the password is longer than {MAX_PASSWORD_CHARS} characters")
    return password


def read_password_file(path: Path) -> str:
    """The first line of ``path`` (UTF-8, line ending removed), as a file keeps it off argv."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_PASSWORD_FILE_BYTES + 1)
    except OSError as exc:
        raise InvalidRequest(f"cannot read the password file: {exc.strerror}") from None
    if len(raw) > MAX_PASSWORD_FILE_BYTES:
        raise InvalidRequest("the password file is too large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest("the password file is not UTF-8") from None
    first = text.splitlines()[0] if text else ""
    if not first:
        raise InvalidRequest("the password file is empty")
    return first
