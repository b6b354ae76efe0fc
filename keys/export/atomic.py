"""Write an output file all-or-nothing: a private temporary file, renamed only on success.

"No partial plaintext written" (issue 5): a sealed file is authenticated segment by segment, so
a reader learns that a LATER segment was cut or altered only after writing earlier ones. The
plaintext therefore goes to a 0600 temporary file beside the output (same directory, so the
rename is atomic and never crosses a file system) and becomes visible under its name only after
the whole stream has authenticated; any failure deletes it. Packages being sealed get the same
treatment so nobody ever sends half an export.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from core.errors import InvalidRequest
from keys.primitives.randomness import random_hex

FILE_MODE = 0o600


def _temporary_path(output: Path) -> Path:
    return output.with_name(f".{output.name}.{random_hex(8)}.part")


@contextlib.contextmanager
def atomic_output(output: Path) -> Iterator[BinaryIO]:
    """Yield a writable file; on a clean exit it is synced and renamed to ``output``."""
    output = Path(output)
    if output.is_dir():
        raise InvalidRequest(f"{output} is a directory")
    temporary = _temporary_path(output)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(temporary, flags, FILE_MODE)
    except FileNotFoundError:
        raise InvalidRequest(f"the directory of {output} does not exist") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, output)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
