"""Crypto-erase of documents with a signed record (暗号化消去, Saitama 第1 3(17)(18)).

One erase, in order (keys.erase.crypto_erase fixes destroy -> settle -> verify):

1. one transaction: an ``Erasure`` row (pending, with what a resume needs), the document's
   Blob and ObjectKey rows deleted, the document marked erased, an audit event;
2. settle the key store: SQLite ``PRAGMA wal_checkpoint(TRUNCATE)`` (secure_delete=ON zeroes
   the freed cells; only TRUNCATE removed the row from the -wal: reference/crypto.md), or on
   PostgreSQL ``VACUUM object_keys``;
3. verify: key ids unresolvable, opening each object fails, wrapped-DEK bytes in no key-store
   file; on failure nothing more happens and the erase stays pending (a retry resumes);
4. delete the ciphertext files;
5. one transaction: the NIST SP 800-88 Rev.1 (Appendix G) record, signed, and an audit event
   carrying the record's SHA-256, which chains the record into the log.

Erasing an erased document returns the existing record. The signer is injected
(:class:`RecordSigner`); by default it is the service's keys.sign key.
"""

from __future__ import annotations

import functools
import hashlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from core.errors import ConfigurationError, Conflict, InvalidRequest, KeyUnavailable, NotFound
from core.errors import SeparationOfDutiesViolation as SeparationOfDuties
from core.roles import APPROVER
from core.states import DOC_ERASED, JOB_QUEUED, JOB_RUNNING
from keys.erase import (
    ErasureNotVerified,
    ErasureTarget,
    ErasureVerification,
    KeyNeedle,
    crypto_erase,
)
from keys.sign import load_or_create_signer, sign_record
from service.audit import append_event
from service.db import utcnow
from service.erasure_record import build_record, canonical_json
from service.models import Blob, Document, Erasure, Job, ObjectKey, User
from service.runtime import Runtime

PENDING = "pending"
COMPLETED = "completed"
CHECKPOINT_TIMEOUT_S = 30.0


class SignerUnavailable(ConfigurationError):
    code = "signer_unavailable"
    http_status = 503
    default_message = "no signing key is configured for erasure records"


class RecordSigner(Protocol):
    """Signs erasure records: ``sign`` returns a detached signature over the exact bytes
    (a detached CMS SignedData from keys.sign, so ``sekisho verify`` and openssl check it)."""

    @property
    def certificate_pem(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


@dataclass(frozen=True)
class DetachedSigner:
    """Adapter: any ``sign(data) -> signature`` function plus the signer's certificate."""

    sign_detached: Callable[[bytes], bytes]
    certificate_pem: str

    def sign(self, data: bytes) -> bytes:
        return self.sign_detached(data)


def default_record_signer(rt: Runtime) -> RecordSigner:
    """The service signing key (keys.sign, sealed in the KEK directory): ECDSA P-256 detached
    CMS, which ``sekisho verify`` and ``openssl cms -verify`` check."""
    try:
        signer = load_or_create_signer(rt.settings.kek_dir, rt.kek)
    except (KeyUnavailable, ConfigurationError) as error:
        raise SignerUnavailable(f"erasure records need the signing key: {error}") from None
    return DetachedSigner(functools.partial(sign_record, signer=signer), signer.certificate_pem)


@dataclass(frozen=True)
class EraseRequest:
    operator_id: int
    operator: str
    operator_roles: tuple[str, ...]
    approver: str | None = None
    witness: str | None = None
    reason: str | None = None

    @classmethod
    def by(cls, user: User, *, approver: str | None = None, witness: str | None = None,
           reason: str | None = None) -> EraseRequest:
        return cls(user.id, user.name, tuple(sorted(user.role_names)), approver, witness, reason)

    def to_dict(self) -> dict[str, Any]:
        return {"operator": self.operator, "operator_roles": list(self.operator_roles),
                "approver": self.approver, "witness": self.witness, "reason": self.reason}


# -- the key store ------------------------------------------------------------------------


class SqlKeyStore:
    """The object_keys table as a keys.erase.WrappedKeyStore."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.sqlite = rt.settings.uses_sqlite

    def resolve(self, key_id: str) -> bytes | None:
        with self.rt.engine.connect() as conn:
            found: bytes | None = conn.execute(select(ObjectKey.wrapped).where(
                ObjectKey.key_id == key_id)).scalar_one_or_none()
            return found

    def settle(self) -> tuple[str, ...]:
        steps = ("DELETE FROM blobs, object_keys (the erase transaction, committed)",)
        return steps + (self._checkpoint() if self.sqlite else self._vacuum())

    def _checkpoint(self) -> tuple[str, ...]:
        raw = self.rt.engine.raw_connection()
        try:
            cursor = raw.cursor()
            secure = cursor.execute("PRAGMA secure_delete").fetchone()[0]
            deadline = time.monotonic() + CHECKPOINT_TIMEOUT_S
            busy, frames = 1, 0
            while busy and time.monotonic() < deadline:
                busy, frames, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cursor.close()
        finally:
            raw.close()
        result = "WAL truncated" if not busy else "busy: readers kept the WAL (scan decides)"
        return (f"PRAGMA secure_delete={'ON' if secure == 1 else secure}",
                f"PRAGMA wal_checkpoint(TRUNCATE): {frames} frames, {result}")

    def _vacuum(self) -> tuple[str, ...]:
        with self.rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM object_keys")
        return ("VACUUM object_keys",)

    def residue_files(self) -> tuple[Path, ...]:
        if not self.sqlite:
            return ()
        db = Path(str(self.rt.engine.url.database))
        return (db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal")))

    @property
    def residue_scope(self) -> str:
        if self.sqlite:
            return ("SQLite database file with its -wal, -shm and -journal: every byte scanned "
                    "after the TRUNCATE checkpoint")
        return ("PostgreSQL: the object_keys rows were deleted and the table VACUUMed; the "
                "server's data files, WAL, replicas and backups cannot be scanned from here and "
                "may keep copies until the next KEK rotation destroys the KEK versions named")


# -- the erase ----------------------------------------------------------------------------


def erase_document(rt: Runtime, document_id: str, request: EraseRequest,
                   signer: RecordSigner) -> tuple[Erasure, bool]:
    """Erase one document; ``(erasure, False)`` if it had been erased already (idempotent)."""
    with rt.sessions() as session:
        done = _erasure_of(session, document_id)
        if done is not None and done.state == COMPLETED:
            return done, False
    return erase_documents(rt, [document_id], request, signer)[0], True


def erase_documents(rt: Runtime, document_ids: Sequence[str], request: EraseRequest,
                    signer: RecordSigner) -> list[Erasure]:
    """Erase many documents with one destroy transaction, settle and scan (retention runs,
    the bench); each document still gets its own signed record."""
    if not signer.certificate_pem:  # fail before anything is destroyed, not after
        raise SignerUnavailable("the record signer has no certificate")
    erasure_ids: list[str] = []

    def destroy() -> list[ErasureTarget]:
        ids, targets = _destroy(rt, document_ids, request)
        erasure_ids.extend(ids)
        return targets

    verification = crypto_erase(rt.kek, SqlKeyStore(rt), destroy)
    if not verification.passed:
        failed = sum(not c.passed for c in verification.checks)
        raise ErasureNotVerified(
            f"{failed} key check(s) failed, {len(verification.residue.hits)} residue "
            "occurrence(s): the ciphertext is kept and the erase stays pending")
    return _complete_all(rt, erasure_ids, verification, request, signer)


def _erasure_of(session: Session, document_id: str) -> Erasure | None:
    return session.execute(
        select(Erasure).where(Erasure.document_id == document_id)
    ).scalar_one_or_none()


def _destroy(rt: Runtime, document_ids: Sequence[str],
             request: EraseRequest) -> tuple[list[str], list[ErasureTarget]]:
    """The one transaction that destroys: all or nothing for the whole batch."""
    wanted = list(dict.fromkeys(document_ids))
    with rt.sessions.begin() as session:
        # Row locks on PostgreSQL (SQLite's BEGIN IMMEDIATE already serialises): a concurrent
        # erase of the same document waits here, then finds this one's Erasure row.
        session.execute(select(Document.id).where(Document.id.in_(wanted)).with_for_update())
        known = {e.document_id: e for e in session.execute(
            select(Erasure).where(Erasure.document_id.in_(wanted))).scalars()}
        targets = [t for e in known.values() if e.state == PENDING
                   for t in _resumed_targets(rt, e)]
        fresh = [d for d in wanted if d not in known]
        if fresh:
            _check_people(session, request)
            created, found = _destroy_fresh(rt, session, fresh, request)
            known.update(created)
            targets += found
        return [known[d].id for d in wanted], targets


def _check_people(session: Session, request: EraseRequest) -> None:
    """Approver and witness must be other, active people (兼務の禁止, Saitama 第2 1(6));
    the workflow issue will put a real approval step in front of the erase."""
    for duty, name in (("approver", request.approver), ("witness", request.witness)):
        if name is None:
            continue
        user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
        if user is None or user.disabled:
            raise InvalidRequest(f"no active user {name!r} to name as {duty}")
        if user.id == request.operator_id:
            raise SeparationOfDuties(f"the operator cannot also be the {duty}")
        if duty == "approver" and APPROVER not in user.role_names:
            raise InvalidRequest(f"{name!r} does not hold the {APPROVER} role")


def _load_erasable(session: Session, ids: list[str]) -> dict[str, Document]:
    docs = {d.id: d for d in session.execute(
        select(Document).where(Document.id.in_(ids))).scalars()}
    if missing := [i for i in ids if i not in docs]:
        raise NotFound(f"no document {missing[0]}")
    # A running pipeline could store a new version (under a new key) after the erase.
    if session.execute(select(Job.id).where(
            Job.document_id.in_(ids), Job.state.in_((JOB_QUEUED, JOB_RUNNING)))).first():
        raise Conflict("a document is still being processed; erase it when processing ends")
    return docs


def _destroy_fresh(rt: Runtime, session: Session, ids: list[str], request: EraseRequest,
                   ) -> tuple[dict[str, Erasure], list[ErasureTarget]]:
    docs = _load_erasable(session, ids)
    blobs, keys, objects, targets = _inventory(rt, session, ids)
    erasures = {i: Erasure(id=str(uuid.uuid4()), document_id=i, state=PENDING,
                           operator_id=request.operator_id, started_at=utcnow(),
                           details={"request": request.to_dict(), "objects": objects[i],
                                    "prior_state": docs[i].state}) for i in ids}
    # Blobs reference object_keys, so they go first; secure_delete zeroes the freed cells.
    session.execute(delete(Blob).where(Blob.id.in_([b.id for b in blobs])))
    session.execute(delete(ObjectKey).where(ObjectKey.key_id.in_(list(keys))))
    for doc in docs.values():
        doc.state = DOC_ERASED
    for doc_id, erasure in erasures.items():
        event = append_event(session, rt.audit_mac, actor=request.operator,
                             action="document.keys_destroyed", object_type="document",
                             object_id=doc_id, details={"erasure": erasure.id, "key_ids": [
                                 o["key_id"] for o in objects[doc_id]]})
        erasure.details = {**erasure.details, "keys_destroyed_audit_seq": event.seq}
    session.add_all(erasures.values())  # after the events: one batched INSERT at commit
    return erasures, targets


def _inventory(rt: Runtime, session: Session, ids: list[str]) -> tuple[
        list[Blob], dict[str, ObjectKey], dict[str, list[dict[str, Any]]], list[ErasureTarget]]:
    """Every stored version of the documents, with what the record and the proof need."""
    blobs = list(session.execute(select(Blob).where(Blob.document_id.in_(ids))
                                 .order_by(Blob.document_id, Blob.kind)).scalars())
    keys = {k.key_id: k for k in session.execute(select(ObjectKey).where(
        ObjectKey.key_id.in_([b.key_id for b in blobs]))).scalars()}
    objects: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    targets = []
    for blob in blobs:
        key = keys.get(blob.key_id)
        needle = KeyNeedle.of(key.wrapped) if key is not None and key.wrapped else None
        objects[blob.document_id].append(_object_entry(blob, key, needle))
        targets.append(ErasureTarget(blob.key_id, rt.blobs.root / blob.relpath, needle))
    return blobs, keys, objects, targets


def _object_entry(blob: Blob, key: ObjectKey | None, needle: KeyNeedle | None) -> dict[str, Any]:
    return {"blob_id": blob.id, "kind": blob.kind, "content_type": blob.content_type,
            "size": blob.size, "plaintext_sha256": blob.sha256, "key_id": blob.key_id,
            "key_algorithm": key.algorithm if key is not None else None,
            "wrapped_dek": needle.to_dict() if needle is not None else None,
            "ciphertext": blob.relpath}


def _resumed_targets(rt: Runtime, erasure: Erasure) -> list[ErasureTarget]:
    """After a crash between destroy and record: only the digests are left to search by."""
    return [ErasureTarget(o["key_id"], rt.blobs.root / o["ciphertext"],
                          KeyNeedle.from_dict(o["wrapped_dek"]) if o["wrapped_dek"] else None)
            for o in erasure.details["objects"]]


# -- the record ---------------------------------------------------------------------------


def _complete_all(rt: Runtime, erasure_ids: list[str], verification: ErasureVerification,
                  request: EraseRequest, signer: RecordSigner) -> list[Erasure]:
    """Delete the ciphertext (only now: verified), then sign and chain every record."""
    with rt.sessions() as session:
        for erasure in _pending(session, erasure_ids):
            for entry in erasure.details["objects"]:
                rt.blobs.delete(entry["ciphertext"])
    with rt.sessions.begin() as session:
        pending = _pending(session, erasure_ids, lock=True)
        docs = {d.id: d for d in session.execute(select(Document).options(
            joinedload(Document.owner)).where(
            Document.id.in_([e.document_id for e in pending]))).scalars()}
        signed = [(e, _signed_record(rt, e, docs[e.document_id], verification, request,
                                     signer)) for e in pending]
        for erasure, (record, signature, certificate) in signed:
            event = append_event(
                session, rt.audit_mac, actor=request.operator, action="document.erased",
                object_type="document", object_id=erasure.document_id,
                details={"erasure": erasure.id, "record_sha256": _sha256(record),
                         "signature_sha256": _sha256(signature)})
            # Set after the events, so that the updates go out as one batch at commit.
            _store_record(erasure, record, signature, certificate, event.seq)
        found = {e.id: e for e in session.execute(
            select(Erasure).where(Erasure.id.in_(erasure_ids))).scalars()}
    return [found[i] for i in erasure_ids]


def _pending(session: Session, erasure_ids: list[str], lock: bool = False) -> list[Erasure]:
    query = select(Erasure).where(Erasure.id.in_(erasure_ids), Erasure.state == PENDING)
    return list(session.execute(query.with_for_update() if lock else query).scalars())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _signed_record(rt: Runtime, erasure: Erasure, doc: Document,
                   verification: ErasureVerification, request: EraseRequest,
                   signer: RecordSigner) -> tuple[bytes, bytes, str]:
    certificate = signer.certificate_pem
    record = canonical_json(build_record(rt, erasure, doc, verification,
                                         completed_by=request.operator,
                                         certificate_pem=certificate))
    return record, signer.sign(record), certificate


def _store_record(erasure: Erasure, record: bytes, signature: bytes, certificate: str,
                  audit_seq: int) -> None:
    erasure.record, erasure.record_sha256 = record, _sha256(record)
    erasure.signature, erasure.certificate_pem = signature, certificate
    erasure.state, erasure.completed_at, erasure.audit_seq = COMPLETED, utcnow(), audit_seq
