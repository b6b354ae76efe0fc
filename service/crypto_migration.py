"""Re-encrypt every stored object protected by a withdrawn algorithm (危殆化, Saitama 第6
1(5)ア(オ); issue 5, item 7): ``sekisho crypto migrate``.

One object, in an order that a kill at any point leaves either the old or the new object
complete (the database names exactly one of them):

1. keys.migrate.migrate_object streams the old ciphertext into ``<new>.migrate.part`` under a
   NEW DEK (the old one was used with the compromised algorithm), the first suite and wrap
   AEAD that are not withdrawn; fsync; the new file is decrypted once and its SHA-256 compared
   with the blob's before anything old is touched; rename to ``<new>``;
2. ONE transaction: insert the new object_keys row, point the blob at the new key and file,
   delete the old object_keys row (crypto-erase of the old DEK, 暗号化消去 Saitama 第1
   3(17)(18): secure_delete zeroes the freed cells);
3. unlink the old file; every ``--batch`` objects and at the end, settle the key store
   (service.erasure.SqlKeyStore: SQLite TRUNCATE checkpoint / PostgreSQL VACUUM).

A rerun continues with what still matches; it first removes what a killed run left behind
(``.migrate.part`` files, a renamed but uncommitted new file, an old file whose DEK is already
destroyed). Runs hold a lock file, so that sweep never meets another run's file in flight.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from core.errors import Conflict, SekishoError
from keys import OBJECT_KEY_ALGORITHM, AlgorithmRefused, default_suite, iter_sealed
from keys.migrate import MigratedObject, migrate_object, wrapped_algorithms
from keys.objects import new_object_key
from keys.sign.store import renew_signer, signer_key_id
from keys.withdrawal import WithdrawalRegistry
from service.audit import append_event
from service.erasure import SqlKeyStore
from service.models import Blob, ObjectKey
from service.withdrawals import (
    StoredObject,
    blob_algorithms,
    load_withdrawn_ids,
    scan_affected,
)

if TYPE_CHECKING:
    from service.runtime import Runtime

MIGRATE_PART = ".migrate.part"
MIGRATED_ACTION = "crypto.objects_migrated"
LOCK_FILE = ".crypto-migrate.lock"
DEFAULT_BATCH = 100
SWEEP_QUERY_CHUNK = 500
Progress = Callable[[int, int], None]
_SETTLE_SKIP = "DELETE "  # SqlKeyStore.settle() first names the erase's DELETE: not ours


class MigrationBlocked(SekishoError):
    """New objects would still depend on a withdrawn algorithm (e.g. a PKCS#11 token that
    wraps only with AES-256-GCM while AES-256-GCM is withdrawn): nothing is re-encrypted."""

    code = "migration_blocked"
    http_status = 409
    default_message = "re-encryption cannot avoid the withdrawn algorithms"


@dataclass
class MigrationOutcome:
    withdrawn: list[str]
    migrated: int = 0
    remaining: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    swept: int = 0
    settled: list[str] = field(default_factory=list)
    signing_keys: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"withdrawn": self.withdrawn, "migrated": self.migrated,
                "remaining": self.remaining, "failed": self.failed, "swept": self.swept,
                "settled": self.settled, "signing_keys": self.signing_keys}


def migrate_withdrawn(rt: Runtime, *, batch: int = DEFAULT_BATCH, limit: int | None = None,
                      progress: Progress | None = None, actor: str = "cli",
                      stop_after: int | None = None) -> MigrationOutcome:
    """Re-encrypt what the withdrawn algorithms still protect. ``stop_after`` (tests only)
    ends the run after that many objects the way a kill would: no settle, no audit event."""
    registry = WithdrawalRegistry(load_withdrawn_ids(rt.engine))
    registry.install()  # this process writes with the next allowed suite, like the others
    with _run_lock(rt.settings.data_dir):
        outcome = MigrationOutcome(list(registry), swept=sweep_leftovers(rt))
        if not registry:
            return outcome
        check_writer_avoids(rt, registry)
        scan = scan_affected(rt, registry)
        outcome.signing_keys = [o.to_dict() for o in scan.signing_keys]
        todo = scan.objects[:limit] if limit is not None else scan.objects
        for done, affected in enumerate(todo, 1):
            if stop_after is not None and done > stop_after:
                outcome.interrupted = True
                return outcome
            _migrate_counted(rt, registry, affected.blob_id or "", outcome)
            if progress is not None:
                progress(done, len(todo))
            if done % max(batch, 1) == 0:
                _settle(rt)
        if scan.signing_keys:
            # The signing key is not re-encrypted but replaced: a new key with allowed
            # algorithms, the old private halves crypto-erased, their certificates kept.
            renewed = signer_key_id(renew_signer(rt.settings.kek_dir, rt.kek))
            outcome.signing_keys = [{**k, "renewed_to": renewed} for k in outcome.signing_keys]
        outcome.settled = _settle(rt)
        # Still affected: what failed and what --limit left; the rest moved or vanished
        # (erased, replaced) since the scan.
        outcome.remaining = len(outcome.failed) + len(scan.objects) - len(todo)
        _audit(rt, outcome, actor)
    return outcome


def _migrate_counted(rt: Runtime, registry: WithdrawalRegistry, blob_id: str,
                     outcome: MigrationOutcome) -> None:
    try:
        if migrate_blob(rt, registry, blob_id):
            outcome.migrated += 1
    except MigrationBlocked:
        raise
    except (SekishoError, OSError) as error:
        # One object that does not decrypt (tampered, key missing) must not stop the others.
        code = error.code if isinstance(error, SekishoError) else "file_unreadable"
        outcome.failed.append({"blob_id": blob_id, "error": code})


def check_writer_avoids(rt: Runtime, registry: WithdrawalRegistry) -> None:
    """Fail before touching anything if new objects would still use a withdrawn id: the
    sealed suite (keys.sealed_format skips withdrawn suites), the DEK's KDF and the KEK
    provider's wrap AEAD (the key file moves to ChaCha20-Poly1305; a PKCS#11 token wraps only
    with CKM_AES_GCM, so withdrawing AES-256-GCM there cannot be migrated around)."""
    provider = type(rt.kek).__name__
    try:
        suite = default_suite()
    except AlgorithmRefused as error:
        raise _blocked(f"no sealed suite is left ({error.reason})") from None
    try:
        probe = new_object_key(rt.kek)
    except AlgorithmRefused as error:
        raise _blocked(f"the KEK provider {provider} cannot wrap a new DEK without "
                       f"{error.algorithm} ({error.reason})") from None
    probe.data_key.destroy()
    still = registry.affected(suite.algorithms | wrapped_algorithms(probe.wrapped))
    if still:
        raise _blocked(f"new objects would still use {', '.join(sorted(still))} "
                       f"(KEK provider {provider})")


def _blocked(why: str) -> MigrationBlocked:
    return MigrationBlocked(f"re-encryption cannot avoid the withdrawn algorithms: {why}. "
                            "Nothing was re-encrypted")


def _load(rt: Runtime, blob_id: str) -> tuple[StoredObject, str] | None:
    with rt.sessions() as session:
        row = session.execute(
            select(Blob.id, Blob.document_id, Blob.kind, Blob.relpath, Blob.key_id,
                   ObjectKey.wrapped, Blob.sha256).join(ObjectKey, ObjectKey.key_id == Blob.key_id)
            .where(Blob.id == blob_id, ObjectKey.wrapped.is_not(None))).first()
    if row is None:
        return None  # erased or replaced since the scan
    return StoredObject(row[0], row[1], row[2], row[3], row[4], bytes(row[5] or b"")), row[6]


def migrate_blob(rt: Runtime, registry: WithdrawalRegistry, blob_id: str) -> bool:
    """Migrate one blob if it still depends on a withdrawn algorithm; True when it moved."""
    loaded = _load(rt, blob_id)
    if loaded is None or not registry.affected(blob_algorithms(rt, loaded[0])):
        return False
    stored, sha256 = loaded
    new_relpath = f"{blob_id[:2]}/{blob_id}.{secrets.token_hex(4)}.sealed"
    final = rt.blobs.root / new_relpath
    part = final.with_name(final.name + MIGRATE_PART)
    committed = False
    try:
        result = _write_new(rt, stored, part)
        try:
            _check_new(registry, result, part, sha256)
        finally:
            result.new_key.data_key.destroy()
        os.replace(part, final)
        _fsync_dir(final.parent)
        committed = _swap_keys(rt, stored, result, new_relpath)
    finally:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
        if not committed:
            with contextlib.suppress(FileNotFoundError):
                final.unlink()
    if committed:
        rt.blobs.delete(stored.relpath)
    return committed


def _write_new(rt: Runtime, stored: StoredObject, part: Path) -> MigratedObject:
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "wb") as sink, open(rt.blobs.root / stored.relpath, "rb") as source:
        result = migrate_object(rt.kek, source, sink, stored.key_id, stored.wrapped)
        sink.flush()
        os.fsync(sink.fileno())
    return result


def _check_new(registry: WithdrawalRegistry, result: MigratedObject, part: Path,
               sha256: str) -> None:
    """The new object must avoid every withdrawn id and decrypt to the same plaintext: the
    old DEK is destroyed next, so this is the last moment a mistake can be undone."""
    still = registry.affected(result.algorithms)
    if still:
        raise MigrationBlocked(f"the new object would still use {', '.join(sorted(still))}")
    digest = hashlib.sha256()
    with open(part, "rb") as source:
        for segment in iter_sealed(source, result.new_key.data_key,
                                   expected_key_id=result.key_id):
            digest.update(segment)
    if digest.hexdigest() != sha256:
        raise Conflict("the re-encrypted object does not match the stored digest")


def _swap_keys(rt: Runtime, stored: StoredObject, result: MigratedObject,
               new_relpath: str) -> bool:
    """ONE transaction: the blob moves to the new key and file, the old DEK is destroyed.
    False (nothing changed) when an erase or a new version replaced the blob meanwhile."""
    with rt.sessions.begin() as session:
        blob = session.get(Blob, stored.blob_id, with_for_update=True)
        if blob is None or blob.key_id != stored.key_id:
            return False
        session.add(ObjectKey(key_id=result.key_id, wrapped=result.wrapped,
                              algorithm=OBJECT_KEY_ALGORITHM, state="enabled"))
        session.flush()
        blob.key_id, blob.relpath = result.key_id, new_relpath
        session.flush()
        session.execute(delete(ObjectKey).where(ObjectKey.key_id == stored.key_id))
    return True


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _settle(rt: Runtime) -> list[str]:
    return [s for s in SqlKeyStore(rt).settle() if not s.startswith(_SETTLE_SKIP)]


def _audit(rt: Runtime, outcome: MigrationOutcome, actor: str) -> None:
    with rt.sessions.begin() as session:
        append_event(session, rt.audit_mac, actor=actor, action=MIGRATED_ACTION,
                     object_type="algorithm", object_id=",".join(outcome.withdrawn)[:64],
                     details={"withdrawn": outcome.withdrawn, "migrated": outcome.migrated,
                              "remaining": outcome.remaining, "failed": len(outcome.failed),
                              "swept": outcome.swept})


# -- one run at a time, and what a killed run left ------------------------------------------


@contextlib.contextmanager
def _run_lock(data_dir: Path) -> Iterator[None]:
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict("another `sekisho crypto migrate` is running") from None
        yield
    finally:
        os.close(fd)  # releases the lock


def sweep_leftovers(rt: Runtime) -> int:
    """Remove what a killed run left: ``.migrate.part`` files; a renamed new file whose
    transaction never committed; an old file whose DEK the committed transaction destroyed.
    Only migration gives a blob id a second file (uploads and new versions take new ids), so
    under the run lock a file of a known blob that is not its current file is a leftover;
    a file of an unknown blob is left alone (an upload commits its file before its row, an
    erase deletes its rows before its files)."""
    root = rt.blobs.root
    removed = 0
    for part in root.glob(f"*/*{MIGRATE_PART}"):
        part.unlink(missing_ok=True)
        removed += 1
    files = {p.relative_to(root).as_posix(): p.name.split(".")[0]
             for p in root.glob("*/*.sealed")}
    current = _current_relpaths(rt, sorted(set(files.values())))
    for relpath, blob_id in files.items():
        if current.get(blob_id, relpath) != relpath:
            (root / relpath).unlink(missing_ok=True)
            removed += 1
    return removed


def _current_relpaths(rt: Runtime, blob_ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    with rt.sessions() as session:
        for start in range(0, len(blob_ids), SWEEP_QUERY_CHUNK):
            chunk = blob_ids[start:start + SWEEP_QUERY_CHUNK]
            found.update((row[0], row[1]) for row in session.execute(
                select(Blob.id, Blob.relpath).where(Blob.id.in_(chunk))))
    return found
