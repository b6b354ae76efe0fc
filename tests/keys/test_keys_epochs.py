"""KEK epochs: rotation re-wraps live DEKs, then destroys the old version so that backups taken
before it can no longer unwrap erased DEKs (reference/crypto.md; Saitama 第1 3(17)(18)).

Every test runs against the key-file provider and a real SoftHSM2 token."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.errors import Conflict, KeyUnavailable
from keys.allowlist import DEFAULT_ALLOWLIST, install_allowlist
from keys.epochs import (
    RotationIncomplete,
    finish_rotation,
    rewrap,
    rotate,
    start_rotation,
    versions_in_use,
)
from keys.kek import KekProvider
from keys.kek_file import FileKekProvider, kek_file_name
from keys.objects import new_object_key, open_object_key
from keys.wrapped import WrappedKey


@pytest.fixture(params=["file", "pkcs11"])
def any_kek(request: pytest.FixtureRequest, kek: FileKekProvider) -> KekProvider:
    if request.param == "file":
        return kek
    provider: KekProvider = request.getfixturevalue("pkcs11_kek")
    return provider


def make_store(kek: KekProvider, count: int) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """``count`` live objects: key id -> wrapped DEK, and key id -> DEK bytes (to check)."""
    store, secrets = {}, {}
    for _ in range(count):
        new = new_object_key(kek)
        store[new.key_id] = new.wrapped
        secrets[new.key_id] = new.data_key.secret_bytes()
    return store, secrets


def test_rotation_rewraps_live_keys_and_kills_the_old_epoch(any_kek: KekProvider) -> None:
    store, secrets = make_store(any_kek, 5)
    backup = dict(store)  # a database backup taken before the rotation
    erased_id = next(iter(store))
    del store[erased_id]  # crypto-erase of one object: its wrapped DEK is deleted

    report = rotate(any_kek, store)

    assert (report.to_version, report.rewrapped, report.destroyed) == (2, 4, (1,))
    assert any_kek.versions() == (2,)
    for key_id, blob in store.items():
        assert WrappedKey.from_bytes(blob).kek_version == 2
        assert open_object_key(any_kek, key_id, blob).secret_bytes() == secrets[key_id]
    # The backup's copy of the erased DEK (and every other old copy) is dead for good.
    for key_id, blob in backup.items():
        with pytest.raises(KeyUnavailable):
            open_object_key(any_kek, key_id, blob)


def test_new_wraps_use_the_new_epoch_during_a_rotation(any_kek: KekProvider) -> None:
    target = start_rotation(any_kek)
    assert target == 2 == any_kek.current_version()
    assert WrappedKey.from_bytes(new_object_key(any_kek).wrapped).kek_version == 2


def test_an_interrupted_rotation_resumes_without_redoing_work(any_kek: KekProvider) -> None:
    store, secrets = make_store(any_kek, 6)
    target = start_rotation(any_kek)
    # The service commits three rows, then the process dies.
    for result in list(rewrap(any_kek, store.items(), target=target))[:3]:
        store[result.key_id] = result.wrapped
    assert start_rotation(any_kek) == target  # resumes: no third version
    results = list(rewrap(any_kek, store.items()))
    assert [r.changed for r in results] == [False] * 3 + [True] * 3
    for result in results:
        store[result.key_id] = result.wrapped
    assert finish_rotation(any_kek, store.values()) == (1,)
    for key_id, blob in store.items():
        assert open_object_key(any_kek, key_id, blob).secret_bytes() == secrets[key_id]


def test_finishing_early_is_refused_and_destroys_nothing(any_kek: KekProvider) -> None:
    store, _ = make_store(any_kek, 3)
    start_rotation(any_kek)
    with pytest.raises(RotationIncomplete) as err:
        finish_rotation(any_kek, store.values())
    assert err.value.code == "kek_rotation_incomplete"
    assert "3 live keys" in str(err.value)
    assert any_kek.versions() == (1, 2)
    for key_id, blob in store.items():
        open_object_key(any_kek, key_id, blob)  # nothing was lost


def test_the_current_version_cannot_be_destroyed(any_kek: KekProvider) -> None:
    with pytest.raises(Conflict):
        any_kek.destroy_version(1)
    assert any_kek.versions() == (1,)


def test_two_rotations_in_a_row(any_kek: KekProvider) -> None:
    store, secrets = make_store(any_kek, 2)
    rotate(any_kek, store)
    report = rotate(any_kek, store)
    assert (report.to_version, report.destroyed) == (3, (2,))
    assert versions_in_use(store.values()) == {3: 2}
    for key_id, blob in store.items():
        assert open_object_key(any_kek, key_id, blob).secret_bytes() == secrets[key_id]


def test_rewrap_yields_no_wrapped_bytes_in_its_repr(any_kek: KekProvider) -> None:
    store, _ = make_store(any_kek, 1)
    start_rotation(any_kek)
    (result,) = rewrap(any_kek, store.items())
    assert result.wrapped.hex() not in repr(result)
    assert result.wrapped not in repr(result).encode()


def test_a_rotation_moves_wraps_off_a_withdrawn_aead(kek: FileKekProvider) -> None:
    store, secrets = make_store(kek, 2)
    install_allowlist(DEFAULT_ALLOWLIST.withdraw("AES-256-GCM"))
    report = rotate(kek, store)
    assert report.rewrapped == 2
    for key_id, blob in store.items():
        assert WrappedKey.from_bytes(blob).algorithm == "CHACHA20-POLY1305"
        assert open_object_key(kek, key_id, blob).secret_bytes() == secrets[key_id]


# --- the key file itself --------------------------------------------------------------------


def test_destroyed_key_file_is_overwritten_in_place(kek: FileKekProvider, kek_dir: Path) -> None:
    """A hard link shares the inode: if destroy only unlinked, the link would still show the
    old key. It must show the overwrite (zeros) instead."""
    original = (kek_dir / kek_file_name(1)).read_bytes()
    spy = kek_dir / "inode-spy"
    os.link(kek_dir / kek_file_name(1), spy)
    kek.create_version()
    kek.destroy_version(1)
    assert not (kek_dir / kek_file_name(1)).exists()
    assert spy.read_bytes() == bytes(len(original)) != original


def test_created_versions_are_private_files(kek: FileKekProvider, kek_dir: Path) -> None:
    assert kek.create_version() == 2
    path = kek_dir / kek_file_name(2)
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(path.read_bytes()) == 32
    assert path.read_bytes() != (kek_dir / kek_file_name(1)).read_bytes()


def test_destroying_a_missing_version_is_a_no_op(kek: FileKekProvider) -> None:
    kek.create_version()
    kek.create_version()
    kek.destroy_version(1)
    kek.destroy_version(1)
    assert kek.versions() == (2, 3)


def test_residue_paths_name_the_key_store(kek: FileKekProvider, kek_dir: Path) -> None:
    assert kek.residue_paths() == (kek_dir,)
