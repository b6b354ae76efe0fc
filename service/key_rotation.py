"""``sekisho keys rotate`` and ``sekisho keys status``: KEK rotation in epochs over the service.

Why (Saitama 第1 3(17)(18) 暗号化消去; reference/crypto.md): a crypto-erase deletes the wrapped
DEK from the key store, but backups and replicas taken earlier still hold it, wrapped under the
KEK version of their day. Rotating re-wraps every live DEK under a new KEK version and then
destroys the old ones, after which those old copies never unwrap again. It is also the key
management procedure of Saitama 第6 1(5): a KEK suspected of compromise (危殆化) is retired by
the same steps, and a DEK wrapped by a withdrawn AEAD is re-wrapped with the preferred one.

One rotation (keys.epochs does the cryptography; this module drives it over the database):

1. ``start_rotation``: create ``kek-v{N+1}``, or resume the rotation under way (the provider
   holds more than one version exactly while one is under way, so resuming needs no state);
2. stream ``object_keys`` in key order, in batches: re-wrap, UPDATE the changed rows (only if
   the row still holds the bytes read, so a concurrent erase or rotation is never undone),
   commit per batch, report progress; an interrupted run redoes nothing when run again;
3. ``rewrap_signers``: the service signing key's DEK is wrapped under the KEK too;
4. ``finish_rotation`` over every live wrapped DEK, read afresh: refuses (destroys nothing)
   while any is still under an older version, which would lose that object;
5. settle the key store (SQLite TRUNCATE checkpoint with secure_delete=ON, PostgreSQL VACUUM:
   service.erasure.SqlKeyStore) so the old wrapped bytes do not linger in the -wal or in free
   pages of this database either;
6. one audit event ``keys.kek_rotated``.

The audit chain's MAC key (keys.audit, ``audit-mac.key``) is a key file of its own, not wrapped
under the KEK, so a rotation does not touch it. Erasure records hold only digests of wrapped
DEKs (keys.erase.KeyNeedle), never the bytes, so nothing there needs re-wrapping either.

Concurrency: ``kek.wrap`` always wraps under ``current_version()``, which both providers
compute from the versions present (the newest file ``kek-v{N}.key``, or the newest token label),
so objects created after step 1 are wrapped under the new version already. An object whose DEK
was wrapped *before* step 1 but whose row is committed after step 2 read past it (a long upload:
BlobWriter wraps at the first byte, record_blob inserts at the end) is caught by step 4, which
then refuses; this module makes one catch-up pass before giving up, and a rerun finishes. Step 4
reads the rows just before destroying, so only a row committed in that last instant, with a DEK
wrapped before step 1, could still be lost: run rotations when no upload has been in flight
since before the rotation started (quiet hours), like any key ceremony.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from sqlalchemy import Table, bindparam, func, select, update

from core.errors import InvalidRequest
from keys.epochs import (
    RotationIncomplete,
    finish_rotation,
    rewrap,
    start_rotation,
    versions_in_use,
)
from keys.kek import KekProvider
from keys.kek_file import FileKekProvider
from keys.sign.store import rewrap_signers
from service.audit import append_event
from service.cli_support import emit, guarded, standalone
from service.erasure import SqlKeyStore
from service.models import ObjectKey

if TYPE_CHECKING:
    from service.runtime import Runtime

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Progress: TypeAlias = Callable[[int, int], None]
DEFAULT_BATCH = 500
MAX_BATCH = 100_000
AUDIT_ACTION = "keys.kek_rotated"
_TABLE = cast(Table, ObjectKey.__table__)
_SETTLE_SKIP = "DELETE "  # SqlKeyStore.settle() first names the erase's DELETE: not ours


@dataclass(frozen=True)
class RotationOutcome:
    from_version: int
    to_version: int
    rewrapped: int
    already_current: int
    signers_rewrapped: int
    destroyed: tuple[int, ...]
    settled: tuple[str, ...]
    complete: bool  # False only when stopped early (stop_after_batches): rerun to finish

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["destroyed"], out["settled"] = list(self.destroyed), list(self.settled)
        return out


@dataclass(frozen=True)
class KeyStatus:
    provider: str
    versions: tuple[int, ...]
    current_version: int
    wrapped_deks: dict[int, int]  # KEK version -> live wrapped DEKs under it
    rotation_under_way: bool

    def to_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "versions": list(self.versions),
                "current_version": self.current_version,
                "wrapped_deks": {str(v): n for v, n in sorted(self.wrapped_deks.items())},
                "rotation_under_way": self.rotation_under_way}


# -- the key store ------------------------------------------------------------------------


def _live_count(rt: Runtime) -> int:
    with rt.engine.connect() as conn:
        total: int = conn.execute(select(func.count()).select_from(_TABLE).where(
            _TABLE.c.wrapped.is_not(None))).scalar_one()
    return total


def _batches(rt: Runtime, size: int) -> Iterator[list[tuple[str, bytes]]]:
    """``(key_id, wrapped)`` in key order, ``size`` at a time (keyset pagination: no cursor
    is held open across the commits, and rows added behind the cursor are left to the
    catch-up pass)."""
    after = ""
    while True:
        with rt.engine.connect() as conn:
            rows = [(str(k), bytes(w)) for k, w in conn.execute(
                select(_TABLE.c.key_id, _TABLE.c.wrapped)
                .where(_TABLE.c.wrapped.is_not(None), _TABLE.c.key_id > after)
                .order_by(_TABLE.c.key_id).limit(size))]
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def _live_wrapped(rt: Runtime) -> Iterator[bytes]:
    with rt.engine.connect() as conn:
        result = conn.execution_options(yield_per=1000).execute(
            select(_TABLE.c.wrapped).where(_TABLE.c.wrapped.is_not(None)))
        for (wrapped,) in result:
            yield bytes(wrapped)


_STORE = (update(_TABLE)
          .where(_TABLE.c.key_id == bindparam("b_key"), _TABLE.c.wrapped == bindparam("b_old"))
          .values(wrapped=bindparam("b_new")))


def _rewrap_batch(rt: Runtime, rows: list[tuple[str, bytes]], target: int) -> tuple[int, int]:
    """Re-wrap one batch and store it in one transaction; ``(rewrapped, already_current)``."""
    old = dict(rows)
    changed = [{"b_key": r.key_id, "b_old": old[r.key_id], "b_new": r.wrapped}
               for r in rewrap(rt.kek, rows, target=target) if r.changed]
    if changed:
        with rt.engine.begin() as conn:
            conn.execute(_STORE, changed)
    return len(changed), len(rows) - len(changed)


# -- rotate -------------------------------------------------------------------------------


@dataclass
class _Pass:
    rewrapped: int = 0
    already: int = 0
    batches: int = 0


def _rewrap_all(rt: Runtime, target: int, batch: int, progress: Progress | None,
                stop_after_batches: int | None, counts: _Pass) -> bool:
    """One pass over the table; False if stopped after ``stop_after_batches`` batches."""
    total = _live_count(rt)
    done = 0
    for rows in _batches(rt, batch):
        rewrapped, already = _rewrap_batch(rt, rows, target)
        counts.rewrapped, counts.already = counts.rewrapped + rewrapped, counts.already + already
        counts.batches += 1
        done += len(rows)
        if progress is not None:
            progress(done, max(total, done))
        if stop_after_batches is not None and counts.batches >= stop_after_batches:
            return False
    return True


def _finish(rt: Runtime, target: int, batch: int, counts: _Pass) -> tuple[int, ...]:
    """Destroy the old versions; one catch-up pass first if rows arrived behind the scan."""
    try:
        return finish_rotation(rt.kek, _live_wrapped(rt))
    except RotationIncomplete:
        _rewrap_all(rt, target, batch, None, None, counts)
        return finish_rotation(rt.kek, _live_wrapped(rt))


def _settle(rt: Runtime) -> tuple[str, ...]:
    return tuple(s for s in SqlKeyStore(rt).settle() if not s.startswith(_SETTLE_SKIP))


def _record(rt: Runtime, outcome: RotationOutcome, actor: str) -> None:
    details = {k: v for k, v in outcome.to_dict().items() if k != "complete"}
    with rt.sessions.begin() as session:
        append_event(session, rt.audit_mac, actor=actor, action=AUDIT_ACTION,
                     object_type="kek", object_id=f"kek-v{outcome.to_version}", details=details)


def rotate_kek(rt: Runtime, *, batch: int = DEFAULT_BATCH, progress: Progress | None = None,
               stop_after_batches: int | None = None, actor: str = "cli") -> RotationOutcome:
    """Rotate the KEK: re-wrap every live DEK and the signing key under a new version, destroy
    the old versions, settle the key store, audit. Resumes a rotation under way.

    ``stop_after_batches`` stops after that many committed batches (tests of resumption);
    the outcome then has ``complete=False`` and nothing was destroyed.
    """
    if not 1 <= batch <= MAX_BATCH:
        raise InvalidRequest(f"the batch size must be between 1 and {MAX_BATCH}")
    present = rt.kek.versions()
    # The oldest version present: a resumed rotation reports where the epoch started.
    from_version = present[0] if present else rt.kek.current_version()  # raises: no KEK
    target = start_rotation(rt.kek)
    counts = _Pass()
    if not _rewrap_all(rt, target, batch, progress, stop_after_batches, counts):
        return RotationOutcome(from_version, target, counts.rewrapped, counts.already, 0, (),
                               (), complete=False)
    # Before any old version goes: the signing key's DEK is wrapped under the KEK as well.
    signers = rewrap_signers(rt.settings.kek_dir, rt.kek)
    destroyed = _finish(rt, target, batch, counts)
    outcome = RotationOutcome(from_version, target, counts.rewrapped, counts.already, signers,
                              destroyed, _settle(rt), complete=True)
    _record(rt, outcome, actor)
    return outcome


# -- status -------------------------------------------------------------------------------


def provider_kind(kek: KekProvider) -> str:
    if isinstance(kek, FileKekProvider):
        return "file"
    # Not imported to check: keys.kek_pkcs11 needs the optional python-pkcs11.
    return "pkcs11" if type(kek).__module__ == "keys.kek_pkcs11" else type(kek).__name__


def key_status(rt: Runtime) -> KeyStatus:
    versions = rt.kek.versions()
    in_use = versions_in_use(_live_wrapped(rt))
    return KeyStatus(provider_kind(rt.kek), versions, rt.kek.current_version(),
                     dict(in_use), len(versions) > 1)


# -- command line -------------------------------------------------------------------------


def _runtime() -> Runtime:
    from service.runtime import build_runtime

    return build_runtime()


def _print_progress(done: int, total: int) -> None:
    print(f"re-wrapped {done}/{total}", file=sys.stderr, flush=True)


def _rotate_text(out: dict[str, Any]) -> str:
    destroyed = ", ".join(f"kek-v{v}" for v in out["destroyed"]) or "none"
    return (f"KEK rotated kek-v{out['from_version']} -> kek-v{out['to_version']}: "
            f"{out['rewrapped']} re-wrapped, {out['already_current']} already current, "
            f"{out['signers_rewrapped']} signing key(s) re-wrapped; destroyed: {destroyed}")


def _status_text(out: dict[str, Any]) -> str:
    lines = [f"provider: {out['provider']}",
             f"versions: {', '.join(f'kek-v{v}' for v in out['versions'])} "
             f"(current kek-v{out['current_version']})",
             f"rotation under way: {'yes' if out['rotation_under_way'] else 'no'}"]
    lines += [f"  kek-v{v}: {n} wrapped DEK(s)" for v, n in out["wrapped_deks"].items()]
    return "\n".join(lines)


def cmd_rotate(args: argparse.Namespace) -> int:
    rt = _runtime()
    try:
        outcome = rotate_kek(rt, batch=args.batch, progress=_print_progress)
    finally:
        rt.engine.dispose()
    out = outcome.to_dict()
    emit(args, out, lambda: _rotate_text(out))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    rt = _runtime()
    try:
        out = key_status(rt).to_dict()
    finally:
        rt.engine.dispose()
    emit(args, out, lambda: _status_text(out))
    return 0


def register(sub: Subparsers) -> None:
    """``sekisho keys rotate|status`` (service.cli wires it in with one line)."""
    keys = sub.add_parser("keys", help="KEK epochs: rotate, status")
    commands = keys.add_subparsers(dest="keys_command", required=True)
    p = commands.add_parser("rotate", help="re-wrap every DEK under a new KEK version and "
                            "destroy the old versions (resumes an interrupted rotation)")
    p.add_argument("--batch", type=int, default=DEFAULT_BATCH,
                   help=f"rows per committed batch (default {DEFAULT_BATCH})")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=guarded(cmd_rotate))
    p = commands.add_parser("status", help="KEK versions and wrapped DEKs per version")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=guarded(cmd_status))


def main(argv: Sequence[str] | None = None) -> int:
    """These commands on their own (tests; ``python -m service.key_rotation``)."""
    return standalone(register, argv)


if __name__ == "__main__":
    sys.exit(main())
