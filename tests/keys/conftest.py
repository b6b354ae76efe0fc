"""Fixtures for the keys tests.

No __init__.py here on purpose: with pytest's default import mode a package directory named
``keys`` would be imported as ``keys`` and shadow the real package. Test files are therefore
named ``test_keys_*`` to stay unique across the tree.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from keys.allowlist import DEFAULT_ALLOWLIST, install_allowlist
from keys.kek_file import FileKekProvider


@pytest.fixture(autouse=True)
def _default_allowlist() -> Iterator[None]:
    """Every test starts and ends with the default list in force."""
    install_allowlist(DEFAULT_ALLOWLIST)
    yield
    install_allowlist(DEFAULT_ALLOWLIST)


@pytest.fixture
def kek_dir(tmp_path: Path) -> Path:
    return tmp_path / "kek"


@pytest.fixture
def kek(kek_dir: Path) -> FileKekProvider:
    provider = FileKekProvider(kek_dir)
    provider.initialise()
    return provider


def write_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Create a file with an exact mode regardless of the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
