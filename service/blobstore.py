"""Encrypted blob store in the data directory.

Every object is written through a sealed (segmented AES-256-GCM) stream under its own DEK from
its first byte; the DEK leaves this module only wrapped under the KEK. Partial files are
ciphertext too, and are removed when an upload or a stage fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from core.errors import PayloadTooLarge
from keys import KekProvider, SealedWriter, iter_sealed, new_object_key, open_object_key
from keys.epochs import rewrap

PART_SUFFIX = ".part"


@dataclass(frozen=True)
class StoredBlob:
    blob_id: str
    relpath: str
    key_id: str
    wrapped_key: bytes
    size: int
    sha256: str


class BlobWriter:
    """File-like sink: counts, hashes and encrypts each chunk as it arrives."""

    def __init__(self, store: BlobStore, max_bytes: int | None) -> None:
        self._store = store
        self._max = max_bytes
        self.blob_id = str(uuid.uuid4())
        data_key, self.key_id, self.wrapped_key = new_object_key(store.kek)
        self.relpath = f"{self.blob_id[:2]}/{self.blob_id}.sealed"
        self._final = store.root / self.relpath
        self._part = self._final.with_name(self._final.name + PART_SUFFIX)
        self._part.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self._part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file: BinaryIO = os.fdopen(fd, "wb")
        self._sealed = SealedWriter(self._file, data_key, self.key_id)
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self._max is not None and self.size > self._max:
            raise PayloadTooLarge(f"the upload exceeds the limit of {self._max} bytes")
        self._hash.update(data)
        self._sealed.write(data)

    def commit(self) -> StoredBlob:
        self._sealed.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        # A KEK rotation may have started since the first byte (a long upload): move the wrap
        # to the current version now, so finishing the rotation cannot orphan this object;
        # if the old version is already destroyed this fails and nothing is stored.
        (current,) = rewrap(self._store.kek, [(self.key_id, self.wrapped_key)])
        self.wrapped_key = current.wrapped
        os.replace(self._part, self._final)
        return StoredBlob(self.blob_id, self.relpath, self.key_id, self.wrapped_key,
                          self.size, self._hash.hexdigest())

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self._part.unlink()


class BlobStore:
    def __init__(self, root: Path, kek: KekProvider) -> None:
        self.root = root
        self.kek = kek
        # Called before each new object's DEK is made: the runtime reloads the withdrawn
        # algorithms there (危殆化, Saitama 第6 1(5)ア(オ)).
        self.before_new_object: Callable[[], None] | None = None

    def writer(self, max_bytes: int | None = None) -> BlobWriter:
        if self.before_new_object is not None:
            self.before_new_object()
        return BlobWriter(self, max_bytes)

    def put_bytes(self, data: bytes) -> StoredBlob:
        writer = self.writer()
        try:
            writer.write(data)
            return writer.commit()
        except BaseException:
            writer.abort()
            raise

    def iter_plaintext(self, relpath: str, key_id: str, wrapped: bytes) -> Iterator[bytes]:
        """Yield verified plaintext segments (a later segment may still fail: see read_all)."""
        data_key = open_object_key(self.kek, key_id, wrapped)
        with open(self.root / relpath, "rb") as source:
            yield from iter_sealed(source, data_key)

    def read_all(self, relpath: str, key_id: str, wrapped: bytes) -> bytes:
        return b"".join(self.iter_plaintext(relpath, key_id, wrapped))

    def verify(self, relpath: str, key_id: str, wrapped: bytes) -> None:
        """Authenticate every segment without keeping the plaintext."""
        for _ in self.iter_plaintext(relpath, key_id, wrapped):
            pass

    def delete(self, relpath: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.root / relpath).unlink()
