"""SHA-256 of a file in constant memory (detached signatures and export reports)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from keys.allowlist import require_allowed

SHA256 = "SHA-256"
READ_CHUNK = 1024 * 1024


def sha256_file(path: Path, *, new_work: bool = True) -> bytes:
    require_allowed(SHA256, new_work=new_work)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            digest.update(chunk)
    return digest.digest()
