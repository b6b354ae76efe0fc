"""Fixtures for the keys tests.

No __init__.py here on purpose: with pytest's default import mode a package directory named
``keys`` would be imported as ``keys`` and shadow the real package. Test files are therefore
named ``test_keys_*`` to stay unique across the tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from keys.allowlist import DEFAULT_ALLOWLIST, install_allowlist
from keys.kek_file import FileKekProvider
from tests.fixtures.softhsm import pkcs11_kek, softhsm, softhsm_token  # noqa: F401


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
