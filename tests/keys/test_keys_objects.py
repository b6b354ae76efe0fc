"""The recipes the service calls: one DEK per object, stored only wrapped (第1 3(17)(18))."""

from __future__ import annotations

import io

import pytest

import keys
from core.errors import DecryptionFailed
from keys.handles import DataKey, is_valid_key_id
from keys.kek_file import FileKekProvider
from keys.objects import OBJECT_KEY_ALGORITHM, new_object_key, open_object_key
from keys.sealed import SealedWriter, decrypt_all, read_header


def test_new_object_key_unpacks_as_the_service_expects(kek: FileKekProvider) -> None:
    data_key, key_id, wrapped = new_object_key(kek)
    assert isinstance(data_key, DataKey)
    assert is_valid_key_id(key_id)
    assert isinstance(wrapped, bytes)
    assert data_key.secret_bytes() not in wrapped
    assert open_object_key(kek, key_id, wrapped).secret_bytes() == data_key.secret_bytes()
    assert OBJECT_KEY_ALGORITHM == "AES-256-GCM"


def test_every_object_gets_its_own_key(kek: FileKekProvider) -> None:
    made = [new_object_key(kek) for _ in range(20)]
    assert len({m.key_id for m in made}) == 20
    assert len({m.data_key.secret_bytes() for m in made}) == 20


def test_wrapped_keys_cannot_be_swapped_between_objects(kek: FileKekProvider) -> None:
    first, second = new_object_key(kek), new_object_key(kek)
    with pytest.raises(DecryptionFailed):
        open_object_key(kek, first.key_id, second.wrapped)


@pytest.mark.parametrize("wrapped", [b"", b"not a wrapped key", bytes(81)])
def test_garbage_wrapped_key_is_decryption_failed(kek: FileKekProvider, wrapped: bytes) -> None:
    with pytest.raises(DecryptionFailed):
        open_object_key(kek, "dek-0", wrapped)


def test_seal_store_reopen(kek: FileKekProvider) -> None:
    data_key, key_id, wrapped = new_object_key(kek)
    sink = io.BytesIO()
    with SealedWriter(sink, data_key, key_id) as writer:
        writer.write("関所 — 機密性2".encode())
    # Later, in another process: only key_id and wrapped were stored.
    sealed = sink.getvalue()
    assert read_header(io.BytesIO(sealed)).key_id == key_id
    reopened = open_object_key(kek, key_id, wrapped)
    plaintext = decrypt_all(io.BytesIO(sealed), reopened, expected_key_id=key_id)
    assert plaintext.decode() == "関所 — 機密性2"


def test_the_package_exports_what_the_service_imports() -> None:
    for name in ("KekProvider", "FileKekProvider", "AuditMac", "SealedWriter", "iter_sealed",
                 "decrypt_all", "read_header", "new_object_key", "open_object_key", "DataKey"):
        assert name in keys.__all__
        assert getattr(keys, name) is not None
