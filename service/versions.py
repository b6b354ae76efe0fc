"""Stored versions of a document (original, sanitised, labelled): rows + encrypted blobs."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import KeyUnavailable, NotFound
from keys import OBJECT_KEY_ALGORITHM
from service.blobstore import BlobStore, StoredBlob
from service.models import Blob, ObjectKey


def find_blob(session: Session, document_id: str, kind: str) -> Blob | None:
    return session.execute(
        select(Blob).where(Blob.document_id == document_id, Blob.kind == kind)
    ).scalar_one_or_none()


def record_blob(
    session: Session, document_id: str, kind: str, stored: StoredBlob, content_type: str | None
) -> Blob:
    session.add(ObjectKey(key_id=stored.key_id, wrapped=stored.wrapped_key,
                          algorithm=OBJECT_KEY_ALGORITHM, state="enabled"))
    session.flush()
    blob = Blob(id=stored.blob_id, document_id=document_id, kind=kind, key_id=stored.key_id,
                relpath=stored.relpath, size=stored.size, sha256=stored.sha256,
                content_type=content_type)
    session.add(blob)
    return blob


def replace_version(
    session: Session, blobs: BlobStore, document_id: str, kind: str, data: bytes,
    content_type: str | None,
) -> Blob:
    """Store ``data`` under a fresh DEK, dropping what an earlier (crashed) run left."""
    old = find_blob(session, document_id, kind)
    stale_path = None
    if old is not None:
        key = session.get(ObjectKey, old.key_id)
        stale_path = old.relpath
        session.delete(old)
        session.flush()
        if key is not None:
            session.delete(key)
        session.flush()
    blob = record_blob(session, document_id, kind, blobs.put_bytes(data), content_type)
    if stale_path:
        blobs.delete(stale_path)
    return blob


def _key_of(session: Session, blob: Blob) -> ObjectKey:
    key = session.get(ObjectKey, blob.key_id)
    if key is None or key.wrapped is None or key.state != "enabled":
        raise KeyUnavailable("the key of this version is not available")
    return key


def read_version(session: Session, blobs: BlobStore, document_id: str, kind: str) -> bytes:
    blob = find_blob(session, document_id, kind)
    if blob is None:
        raise NotFound(f"the document has no {kind} version")
    key = _key_of(session, blob)
    assert key.wrapped is not None
    return blobs.read_all(blob.relpath, key.key_id, key.wrapped)


def stream_version(session: Session, blobs: BlobStore, blob: Blob) -> Iterator[bytes]:
    """Authenticate the whole object first, then stream it: never send unverified bytes."""
    key = _key_of(session, blob)
    assert key.wrapped is not None
    wrapped, key_id = key.wrapped, key.key_id
    blobs.verify(blob.relpath, key_id, wrapped)
    return blobs.iter_plaintext(blob.relpath, key_id, wrapped)
