"""Withdrawn algorithms over the database (危殆化, Saitama 第6 1(5)ア(オ); issue 5, item 7).

``sekisho crypto withdraw`` must make EVERY process refuse an algorithm for new work, so the
decision lives in the ``withdrawn_algorithms`` table: build_runtime() installs it at start-up
and Runtime.refresh_withdrawals() re-reads it before new work (keys.withdrawal.WithdrawalRegistry
is the value; this module persists it, audits each change and finds what is still protected by
a withdrawn algorithm, from the stored bytes alone: every sealed header and wrapped DEK names
its algorithms).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.errors import SekishoError
from core.settings import Settings
from keys.migrate import object_algorithms
from keys.sign.store import (
    SEALED_FILE,
    SIGNING_DIR,
    WRAPPED_FILE,
    has_private_key,
    verification_keys,
)
from keys.withdrawal import WithdrawalRegistry
from service.audit import append_event
from service.db import make_engine, utcnow
from service.models import Blob, ObjectKey, WithdrawnAlgorithm

if TYPE_CHECKING:
    from service.runtime import Runtime

WITHDRAWN_ACTION = "crypto.algorithm_withdrawn"
REINSTATED_ACTION = "crypto.algorithm_reinstated"
SCAN_PAGE = 500
_SELECT_IDS = "SELECT algorithm FROM withdrawn_algorithms"  # WithdrawnAlgorithm


def load_withdrawn_ids(engine: Engine) -> frozenset[str]:
    """The stored ids, through a bare DBAPI cursor: on SQLite every SQLAlchemy transaction
    starts with BEGIN IMMEDIATE (service.db), and this runs inside other transactions (the
    blob writer is called from the pipeline's): a plain autocommit SELECT takes no lock."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            cursor.execute(_SELECT_IDS)
            return frozenset(str(row[0]) for row in cursor.fetchall())
        finally:
            cursor.close()
    finally:
        raw.close()  # back to the pool, which rolls a PostgreSQL transaction back


def install_stored_withdrawals(settings: Settings) -> None:
    """For a one-shot command (``sekisho seal``): put this deployment's withdrawals in force
    before any new cryptographic work. Without a database yet (a fresh SQLite data directory)
    nothing can have been withdrawn; any other failure to read them stops the command."""
    if settings.uses_sqlite and not Path(settings.database_url.split("///", 1)[-1]).exists():
        return
    WithdrawalRegistry(load_withdrawn_ids(make_engine(settings.database_url))).install()


def stored_registry(session: Session) -> WithdrawalRegistry:
    return WithdrawalRegistry(session.execute(select(WithdrawnAlgorithm.algorithm)).scalars())


def withdrawn_rows(session: Session) -> list[WithdrawnAlgorithm]:
    query = select(WithdrawnAlgorithm).order_by(WithdrawnAlgorithm.algorithm)
    return list(session.execute(query).scalars())


def withdraw_algorithm(rt: Runtime, algorithm: str, *, actor: str,
                       reason: str | None = None) -> tuple[WithdrawalRegistry, bool]:
    """Persist, audit, then install in this process; ``(registry, changed)``. An id that is
    not on the allow-list raises AlgorithmRefused (algorithm_not_allowed): a typo must not
    look like a successful emergency withdrawal."""
    with rt.sessions.begin() as session:
        current = stored_registry(session)
        updated = current.withdraw(algorithm)
        changed = algorithm not in current
        if changed:
            session.add(WithdrawnAlgorithm(algorithm=algorithm, withdrawn_at=utcnow(),
                                           withdrawn_by=actor, reason=reason))
            append_event(session, rt.audit_mac, actor=actor, action=WITHDRAWN_ACTION,
                         object_type="algorithm", object_id=algorithm,
                         details={"reason": reason, "withdrawn": list(updated)})
    updated.install()
    return updated, changed


def reinstate_algorithm(rt: Runtime, algorithm: str, *,
                        actor: str) -> tuple[WithdrawalRegistry, bool]:
    """Lift a withdrawal (the 危殆化 assessment was revised); audited when it changes."""
    with rt.sessions.begin() as session:
        row = session.get(WithdrawnAlgorithm, algorithm)
        if row is not None:
            session.delete(row)
            session.flush()
            append_event(session, rt.audit_mac, actor=actor, action=REINSTATED_ACTION,
                         object_type="algorithm", object_id=algorithm,
                         details={"withdrawn": list(stored_registry(session))})
        updated = stored_registry(session)
    updated.install()
    return updated, row is not None


# -- what still depends on a withdrawn algorithm -------------------------------------------


@dataclass(frozen=True)
class StoredObject:
    blob_id: str
    document_id: str
    kind: str
    relpath: str
    key_id: str
    wrapped: bytes


@dataclass(frozen=True)
class AffectedObject:
    blob_id: str | None
    document_id: str | None
    kind: str
    algorithms: tuple[str, ...]  # every id the object depends on, not only the withdrawn
    key_id: str | None = None  # signing keys only (blobs are named by blob id)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"blob_id": self.blob_id, "document_id": self.document_id,
                               "kind": self.kind, "algorithms": list(self.algorithms)}
        if self.key_id is not None:
            out["key_id"] = self.key_id
        return out


@dataclass
class AffectedScan:
    objects: list[AffectedObject] = field(default_factory=list)  # stored blobs
    signing_keys: list[AffectedObject] = field(default_factory=list)
    unreadable: list[dict[str, Any]] = field(default_factory=list)

    @property
    def all(self) -> list[AffectedObject]:
        return self.objects + self.signing_keys

    def count_by_algorithm(self, registry: WithdrawalRegistry) -> dict[str, int]:
        return {a: sum(a in o.algorithms for o in self.all) for a in registry}


def iter_stored_objects(rt: Runtime, page: int = SCAN_PAGE) -> Iterator[StoredObject]:
    """Every blob whose wrapped DEK still exists, in blob id order, a page at a time."""
    last = ""
    while True:
        with rt.sessions() as session:
            rows = session.execute(
                select(Blob.id, Blob.document_id, Blob.kind, Blob.relpath, Blob.key_id,
                       ObjectKey.wrapped).join(ObjectKey, ObjectKey.key_id == Blob.key_id)
                .where(Blob.id > last, ObjectKey.wrapped.is_not(None))
                .order_by(Blob.id).limit(page)).all()
        if not rows:
            return
        for row in rows:
            yield StoredObject(row[0], row[1], row[2], row[3], row[4], bytes(row[5] or b""))
        last = rows[-1][0]


def blob_algorithms(rt: Runtime, stored: StoredObject) -> frozenset[str]:
    """The sealed header's ids (read from the file, no key needed) and the wrap's."""
    with open(rt.blobs.root / stored.relpath, "rb") as source:
        return object_algorithms(source, stored.wrapped)


def scan_affected(rt: Runtime, registry: WithdrawalRegistry) -> AffectedScan:
    scan = AffectedScan()
    if not registry:
        return scan
    for stored in iter_stored_objects(rt):
        try:
            algorithms = blob_algorithms(rt, stored)
        except (OSError, SekishoError) as error:
            # Reported, not skipped silently: an object we cannot classify may still use it.
            scan.unreadable.append({"blob_id": stored.blob_id, "document_id": stored.document_id,
                                    "kind": stored.kind, "error": _error_code(error)})
            continue
        if registry.affected(algorithms):
            scan.objects.append(AffectedObject(stored.blob_id, stored.document_id, stored.kind,
                                               tuple(sorted(algorithms))))
    scan.signing_keys = affected_signing_keys(rt.settings.kek_dir, registry)
    return scan


def _error_code(error: Exception) -> str:
    return error.code if isinstance(error, SekishoError) else "file_unreadable"


def affected_signing_keys(kek_dir: Path, registry: WithdrawalRegistry) -> list[AffectedObject]:
    """The service signing keys: signature algorithm (from the public certificate), and the
    sealed private key's header and wrap (files under the KEK directory)."""
    found = []
    for key in verification_keys(kek_dir):
        version = int(key["key_id"].removeprefix("signing-v"))
        if not has_private_key(kek_dir, version):
            continue  # retired: only its certificate is kept, to verify old signatures
        directory = kek_dir / SIGNING_DIR / key["key_id"].removeprefix("signing-")
        with open(directory / SEALED_FILE, "rb") as source:
            algorithms = object_algorithms(source, (directory / WRAPPED_FILE).read_bytes())
        algorithms |= {key["algorithm"]}
        if registry.affected(algorithms):
            found.append(AffectedObject(None, None, "signing-key", tuple(sorted(algorithms)),
                                        key_id=key["key_id"]))
    return found
