"""Recipes for stored objects: one DEK per object, stored only wrapped under the KEK.

Crypto-erase (暗号化消去, Saitama 第1 3(17)(18)) needs each object under its own key, encrypted
from its first write: the service calls :func:`new_object_key` before the first byte of an
upload, seals the upload with :class:`keys.sealed.SealedWriter`, and stores only
``(key_id, wrapped)``. Erasing the object later means destroying ``wrapped``.
"""

from __future__ import annotations

from typing import NamedTuple

from keys.handles import DATA_KEY_ALGORITHM, DataKey, new_data_key, new_key_id
from keys.kek import KekProvider
from keys.wrapped import WrappedKey

# What the service records beside each key id (object_keys.algorithm).
OBJECT_KEY_ALGORITHM = DATA_KEY_ALGORITHM


class NewObjectKey(NamedTuple):
    data_key: DataKey
    key_id: str
    wrapped: bytes

    def __repr__(self) -> str:
        # NamedTuple's repr would print the wrapped bytes; see keys.wrapped for why not.
        return f"NewObjectKey(data_key={self.data_key!r}, key_id={self.key_id!r})"


def new_object_key(kek: KekProvider) -> NewObjectKey:
    """A fresh DEK, its new key id, and the DEK wrapped under the current KEK (bytes to store)."""
    data_key = new_data_key()
    key_id = new_key_id()
    wrapped = kek.wrap(data_key, key_id).to_bytes()
    return NewObjectKey(data_key, key_id, wrapped)


def open_object_key(kek: KekProvider, key_id: str, wrapped: bytes) -> DataKey:
    """Unwrap a stored DEK. DecryptionFailed if the blob or key id is wrong or tampered;
    KeyUnavailable if the KEK version that wrapped it is gone (e.g. after an epoch rotation)."""
    return kek.unwrap(WrappedKey.from_bytes(wrapped), key_id)
