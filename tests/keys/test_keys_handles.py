"""Opaque key handles: no key bytes in reprs, strs, pickles or copies (design: key handles)."""

from __future__ import annotations

import base64
import copy
import io
import pickle
from pathlib import Path

import pytest

from core.errors import AlgorithmNotAllowed, KeyUnavailable
from keys.audit import AUDIT_MAC_FILE, AuditMac
from keys.handles import (
    DataKey,
    is_valid_key_id,
    new_data_key,
    new_key_id,
    require_valid_key_id,
)
from keys.kek_file import FileKekProvider
from keys.objects import new_object_key
from keys.primitives.aead import Aes256Gcm
from keys.sealed import SealedWriter


def encodings(secret: bytes) -> list[str]:
    """Every way key bytes commonly leak into text."""
    return [
        secret.hex(),
        secret.hex().upper(),
        base64.b64encode(secret).decode(),
        base64.urlsafe_b64encode(secret).decode(),
        base64.b64encode(secret).decode().rstrip("="),
        repr(secret),
        secret.hex()[:16],  # even a prefix would be a leak
    ]


def assert_hidden(text: str, secret: bytes) -> None:
    for encoded in encodings(secret):
        assert encoded not in text


def test_data_key_repr_and_str_show_no_key_bytes() -> None:
    key = new_data_key()
    secret = key.secret_bytes()
    for text in (repr(key), str(key), f"{key}", f"{key!r}", format(key), repr([key])):
        assert_hidden(text, secret)
    assert "AES-256-GCM" in repr(key)


def test_data_key_cannot_be_pickled_or_copied() -> None:
    key = new_data_key()
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(TypeError):
        copy.copy(key)
    with pytest.raises(TypeError):
        copy.deepcopy(key)


def test_data_key_has_no_instance_dict_to_dump() -> None:
    with pytest.raises(TypeError):
        vars(new_data_key())


def test_destroyed_key_is_unavailable() -> None:
    key = new_data_key()
    key.destroy()
    assert key.destroyed
    assert "destroyed" in repr(key)
    with pytest.raises(KeyUnavailable):
        key.secret_bytes()


def test_new_data_keys_are_fresh_256_bit_keys() -> None:
    keys = [new_data_key().secret_bytes() for _ in range(50)]
    assert len(set(keys)) == 50
    assert {len(k) for k in keys} == {32}


def test_data_key_must_be_aes_256() -> None:
    with pytest.raises(AlgorithmNotAllowed):
        DataKey(bytes(16))


def test_key_ids_are_fresh_and_valid() -> None:
    ids = {new_key_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(is_valid_key_id(i) and i.startswith("dek-") and len(i) <= 64 for i in ids)


@pytest.mark.parametrize("bad", ["", "x" * 65, "dek 1", "dek/1", "../kek", "-dek", "鍵", "a\n"])
def test_invalid_key_ids_are_rejected(bad: str) -> None:
    assert not is_valid_key_id(bad)
    with pytest.raises(ValueError):
        require_valid_key_id(bad)


def test_other_key_holders_hide_their_bytes(kek: FileKekProvider, kek_dir: Path) -> None:
    new = new_object_key(kek)
    secret = new.data_key.secret_bytes()
    assert_hidden(repr(new), secret)
    assert_hidden(repr(new), new.wrapped)  # wrapped copies in logs would survive crypto-erase
    wrapped = kek.wrap(new.data_key, new.key_id)
    assert_hidden(repr(wrapped), wrapped.ciphertext)
    assert_hidden(repr(kek), (kek_dir / "kek-v1.key").read_bytes())
    mac = AuditMac.from_kek_dir(kek_dir)
    assert_hidden(repr(mac), (kek_dir / AUDIT_MAC_FILE).read_bytes())
    assert_hidden(repr(Aes256Gcm(secret)), secret)
    assert_hidden(repr(SealedWriter(io.BytesIO(), new.data_key, new.key_id)), secret)
    with pytest.raises(TypeError):
        pickle.dumps(mac)
