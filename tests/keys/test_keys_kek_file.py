"""FileKekProvider: 0700 directory, 0600 files, wrap/unwrap with the key id bound, KAT."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import ConfigurationError, DecryptionFailed, KeyUnavailable
from keys.audit import AUDIT_MAC_FILE
from keys.handles import DataKey, new_data_key
from keys.kek import KekProvider
from keys.kek_file import FileKekProvider, kek_file_name
from keys.wrapped import WrappedKey

KEY_ID = "dek-kat-0001"


def write_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Create a file with an exact mode regardless of the umask. (Kept here, not imported
    from conftest: with nested conftest.py files that module name is ambiguous.)"""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """Prove modes come from the code, not from a friendly umask."""
    previous = os.umask(0)
    yield
    os.umask(previous)


# --- initialise -----------------------------------------------------------------------------


@pytest.mark.usefixtures("loose_umask")
def test_initialise_creates_private_directory_and_files(kek_dir: Path) -> None:
    FileKekProvider(kek_dir).initialise()
    assert mode(kek_dir) == 0o700
    assert sorted(p.name for p in kek_dir.iterdir()) == [AUDIT_MAC_FILE, "kek-v1.key"]
    for name in (AUDIT_MAC_FILE, "kek-v1.key"):
        assert mode(kek_dir / name) == 0o600
        assert len((kek_dir / name).read_bytes()) == 32
    assert (kek_dir / "kek-v1.key").read_bytes() != (kek_dir / AUDIT_MAC_FILE).read_bytes()


def test_initialise_is_idempotent_and_keeps_the_keys(kek: FileKekProvider, kek_dir: Path) -> None:
    before = {p.name: p.read_bytes() for p in kek_dir.iterdir()}
    kek.initialise()
    FileKekProvider(kek_dir).initialise()
    assert {p.name: p.read_bytes() for p in kek_dir.iterdir()} == before


def test_concurrent_initialise_ends_with_one_key(kek_dir: Path) -> None:
    providers = [FileKekProvider(kek_dir) for _ in range(8)]
    threads = [threading.Thread(target=p.initialise) for p in providers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(p.name for p in kek_dir.iterdir()) == [AUDIT_MAC_FILE, "kek-v1.key"]


def test_empty_loose_directory_is_tightened(kek_dir: Path) -> None:
    kek_dir.mkdir()
    os.chmod(kek_dir, 0o755)
    FileKekProvider(kek_dir).initialise()
    assert mode(kek_dir) == 0o700


def test_loose_directory_with_files_is_refused_and_left_alone(kek_dir: Path) -> None:
    kek_dir.mkdir()
    write_file(kek_dir / "kek-v1.key", bytes(32))
    os.chmod(kek_dir, 0o750)
    with pytest.raises(ConfigurationError, match="group/others"):
        FileKekProvider(kek_dir).initialise()
    assert mode(kek_dir) == 0o750


def test_directory_that_became_loose_is_refused_at_use(kek: FileKekProvider, kek_dir: Path) -> None:
    os.chmod(kek_dir, 0o711)
    with pytest.raises(ConfigurationError):
        kek.wrap(new_data_key(), KEY_ID)


def test_a_file_where_the_directory_should_be_is_refused(kek_dir: Path) -> None:
    kek_dir.write_bytes(b"")
    with pytest.raises(ConfigurationError, match="not a directory"):
        FileKekProvider(kek_dir).initialise()


def test_loose_key_file_is_refused(kek: FileKekProvider, kek_dir: Path) -> None:
    os.chmod(kek_dir / "kek-v1.key", 0o644)
    with pytest.raises(ConfigurationError, match=r"kek-v1\.key"):
        kek.wrap(new_data_key(), KEY_ID)


def test_symlinked_key_file_is_refused(kek: FileKekProvider, kek_dir: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.key"
    write_file(elsewhere, bytes(32))
    (kek_dir / "kek-v1.key").unlink()
    (kek_dir / "kek-v1.key").symlink_to(elsewhere)
    with pytest.raises(ConfigurationError):
        kek.wrap(new_data_key(), KEY_ID)


def test_wrong_length_key_file_is_unavailable(kek: FileKekProvider, kek_dir: Path) -> None:
    write_file(kek_dir / "kek-v1.key", bytes(31))
    with pytest.raises(KeyUnavailable):
        kek.wrap(new_data_key(), KEY_ID)


# --- missing KEK ----------------------------------------------------------------------------


def test_missing_kek_file_is_key_unavailable(kek: FileKekProvider, kek_dir: Path) -> None:
    wrapped = kek.wrap(new_data_key(), KEY_ID)
    (kek_dir / "kek-v1.key").unlink()
    with pytest.raises(KeyUnavailable):
        kek.unwrap(wrapped, KEY_ID)
    with pytest.raises(KeyUnavailable):
        kek.wrap(new_data_key(), KEY_ID)


def test_missing_directory_is_key_unavailable(kek_dir: Path) -> None:
    with pytest.raises(KeyUnavailable):
        FileKekProvider(kek_dir).wrap(new_data_key(), KEY_ID)


# --- wrap / unwrap --------------------------------------------------------------------------


def test_wrap_unwrap_round_trip(kek: FileKekProvider) -> None:
    dek = new_data_key()
    wrapped = kek.wrap(dek, KEY_ID)
    assert (wrapped.algorithm, wrapped.kek_version) == ("AES-256-GCM", 1)
    again = WrappedKey.from_bytes(wrapped.to_bytes())
    assert again == wrapped
    assert kek.unwrap(again, KEY_ID).secret_bytes() == dek.secret_bytes()
    assert dek.secret_bytes() not in wrapped.to_bytes()


def test_wrong_key_id_fails_opaquely(kek: FileKekProvider) -> None:
    dek = new_data_key()
    wrapped = kek.wrap(dek, KEY_ID)
    with pytest.raises(DecryptionFailed) as err:
        kek.unwrap(wrapped, "dek-kat-0002")
    assert dek.secret_bytes().hex() not in str(err.value)


def test_another_kek_cannot_unwrap(kek: FileKekProvider, tmp_path: Path) -> None:
    other = FileKekProvider(tmp_path / "other")
    other.initialise()
    with pytest.raises(DecryptionFailed):
        other.unwrap(kek.wrap(new_data_key(), KEY_ID), KEY_ID)


def test_every_byte_of_the_blob_is_protected(kek: FileKekProvider) -> None:
    blob = kek.wrap(new_data_key(), KEY_ID).to_bytes()
    version_at = 6 + len("AES-256-GCM")
    for position in range(len(blob)):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        # A changed KEK version names a KEK that does not exist; everything else is opaque.
        expected = KeyUnavailable if version_at <= position < version_at + 4 else DecryptionFailed
        with pytest.raises(expected):
            kek.unwrap(WrappedKey.from_bytes(bytes(tampered)), KEY_ID)


@pytest.mark.parametrize(
    "blob", [b"", b"SKWK", b"SKWK\x01", bytes(80), b"SKWK\x01\x00" + bytes(70)]
)
def test_malformed_blob_is_decryption_failed(blob: bytes) -> None:
    with pytest.raises(DecryptionFailed):
        WrappedKey.from_bytes(blob)


def test_kek_versions_shape_rotation(kek: FileKekProvider, kek_dir: Path) -> None:
    old = kek.wrap(new_data_key(), KEY_ID)
    write_file(kek_dir / kek_file_name(2), os.urandom(32))
    assert kek.versions() == (1, 2)
    assert kek.current_version() == 2
    assert kek.wrap(new_data_key(), KEY_ID).kek_version == 2
    kek.unwrap(old, KEY_ID)  # older epochs still open until destroyed
    (kek_dir / kek_file_name(1)).unlink()  # epoch destroyed: old copies (backups) are dead
    with pytest.raises(KeyUnavailable):
        kek.unwrap(old, KEY_ID)


def test_file_provider_satisfies_the_protocol(kek: FileKekProvider) -> None:
    provider: KekProvider = kek
    assert isinstance(provider, KekProvider)


# --- known answer ---------------------------------------------------------------------------

KEK_BYTES = bytes(range(0x80, 0xA0))
WRAP_NONCE = bytes(range(0xC0, 0xCC))
WRAPPED_HEX = (
    "534b574b"  # magic "SKWK"
    "01"  # blob format version 1
    "0b" "4145532d3235362d47434d"  # "AES-256-GCM"
    "00000001"  # KEK version 1
    "c0c1c2c3c4c5c6c7c8c9cacb"  # nonce
    "643d8281b8a8e5c40a263d444eac3e3f39d01852f615e44231f7b6a633ca739c"  # wrapped DEK
    "a10e6758bc3db9d8cb61531aeb91c3e3"  # tag
)


def test_wrap_known_answer(tmp_path: Path) -> None:
    kek_dir = tmp_path / "kat"
    kek_dir.mkdir(mode=0o700)
    write_file(kek_dir / "kek-v1.key", KEK_BYTES)
    provider = FileKekProvider(kek_dir)
    wrapped = provider._wrap_with_nonce(DataKey(bytes(range(32))), KEY_ID, WRAP_NONCE)
    assert wrapped.to_bytes().hex() == WRAPPED_HEX
    # Independently: AES-256-GCM(KEK, nonce, DEK, aad = header || key id).
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    blob = bytes.fromhex(WRAPPED_HEX)
    header = blob[:21]  # magic 4 + version 1 + length 1 + "AES-256-GCM" 11 + KEK version 4
    assert blob[21:33] == WRAP_NONCE
    expected = AESGCM(KEK_BYTES).encrypt(WRAP_NONCE, bytes(range(32)), header + KEY_ID.encode())
    assert blob[33:] == expected
    unwrapped = provider.unwrap(WrappedKey.from_bytes(blob), KEY_ID)
    assert unwrapped.secret_bytes() == bytes(range(32))
