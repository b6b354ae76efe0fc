"""``sekisho crypto withdraw|reinstate|status|migrate``: the 危殆化 emergency procedure
(Saitama 第6 1(5)ア(オ); issue 5, item 7).

- ``withdraw ALGORITHM [--reason TEXT]``: validate (an id not on the allow-list is refused with
  ``algorithm_not_allowed`` and the reason, exit 2), persist, install, audit
  (``crypto.algorithm_withdrawn``), then list every stored object still protected by it.
- ``reinstate ALGORITHM``: lift a withdrawal (audited).
- ``status``: the withdrawn ids, each with how many stored objects still depend on it.
- ``migrate [--batch N] [--limit N]``: re-encrypt those objects (service.crypto_migration);
  progress on stderr; exit 1 if an object failed, 2 if the migration cannot avoid a withdrawn
  algorithm (e.g. a PKCS#11 token that wraps only with AES-256-GCM).

Every process (API, workers) picks a withdrawal up from the database: at start-up
(build_runtime) and before new work (Runtime.refresh_withdrawals).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from core.errors import InvalidRequest
from keys import WithdrawalRegistry, active_allowlist
from service.cli_support import emit, guarded, standalone
from service.withdrawals import (
    reinstate_algorithm,
    scan_affected,
    withdraw_algorithm,
    withdrawn_rows,
)

if TYPE_CHECKING:
    from service.runtime import Runtime

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
MAX_REASON_CHARS = 2000


def _runtime() -> Runtime:
    from service.runtime import build_runtime

    return build_runtime()


def cli_actor() -> str:
    """Who ran the command, for the audit log and withdrawn_by."""
    try:
        return f"cli:{getpass.getuser()}"[:100]
    except (KeyError, OSError):  # no passwd entry (containers)
        return "cli"


def _affected_text(out: dict[str, Any]) -> list[str]:
    lines = [f"  {o['kind']:<12} {o.get('blob_id') or o.get('key_id')}  document "
             f"{o.get('document_id') or '-'}  {', '.join(o['algorithms'])}"
             for o in out["affected"]]
    lines += [f"  unreadable   {u['blob_id']}  {u['error']}" for u in out["unreadable"]]
    return lines


def cmd_withdraw(args: argparse.Namespace) -> int:
    if args.reason is not None and len(args.reason) > MAX_REASON_CHARS:
        raise InvalidRequest(f"--reason is longer than {MAX_REASON_CHARS} characters")
    rt = _runtime()
    registry, changed = withdraw_algorithm(rt, args.algorithm, actor=cli_actor(),
                                           reason=args.reason)
    scan = scan_affected(rt, registry)
    out = {"algorithm": args.algorithm, "changed": changed, "withdrawn": list(registry),
           "affected": [o.to_dict() for o in scan.all], "count": len(scan.all),
           "unreadable": scan.unreadable}
    emit(args, out, lambda: "\n".join([
        f"{args.algorithm} {'withdrawn' if changed else 'was already withdrawn'} "
        f"(危殆化); {out['count']} stored object(s) still depend on a withdrawn algorithm"
        + (": run `sekisho crypto migrate`" if out["count"] else ""),
        *_affected_text(out)]))
    return 0


def cmd_reinstate(args: argparse.Namespace) -> int:
    rt = _runtime()
    registry, changed = reinstate_algorithm(rt, args.algorithm, actor=cli_actor())
    out = {"algorithm": args.algorithm, "changed": changed, "withdrawn": list(registry)}
    emit(args, out, lambda: f"{args.algorithm} "
          f"{'reinstated' if changed else 'was not withdrawn'}; withdrawn now: "
          f"{', '.join(out['withdrawn']) or 'none'}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    rt = _runtime()
    with rt.sessions() as session:
        rows = withdrawn_rows(session)
    registry = WithdrawalRegistry(r.algorithm for r in rows)
    scan = scan_affected(rt, registry)
    counts = scan.count_by_algorithm(registry)
    known = active_allowlist()
    withdrawn = [{"algorithm": r.algorithm, "withdrawn_at": r.withdrawn_at.isoformat(),
                  "withdrawn_by": r.withdrawn_by, "reason": r.reason,
                  "known": r.algorithm in known, "affected": counts[r.algorithm]}
                 for r in rows]
    out: dict[str, Any] = {"withdrawn": withdrawn, "affected": len(scan.all),
                           "unreadable": scan.unreadable}
    emit(args, out, lambda: "\n".join(
        [f"{w['algorithm']:<20} withdrawn {w['withdrawn_at']} by {w['withdrawn_by']}: "
         f"{w['affected']} object(s) still depend on it" for w in out["withdrawn"]]
        or ["no algorithm is withdrawn"]))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from service.crypto_migration import migrate_withdrawn

    if args.batch < 1 or (args.limit is not None and args.limit < 0):
        raise InvalidRequest("--batch must be at least 1 and --limit not negative")
    rt = _runtime()
    outcome = migrate_withdrawn(rt, batch=args.batch, limit=args.limit, actor=cli_actor(),
                                progress=_progress_printer())
    out = outcome.to_dict()
    emit(args, out, lambda: "\n".join(
        [f"migrated {out['migrated']} object(s); {out['remaining']} stored object(s) still "
         f"depend on a withdrawn algorithm ({', '.join(out['withdrawn']) or 'none withdrawn'})"]
        + [f"  failed {f['blob_id']}: {f['error']}" for f in out["failed"]]
        + [f"  signing key {k['key_id']} used {', '.join(k['algorithms'])}: replaced by "
           f"{k.get('renewed_to')} (its certificate is kept for verifying)"
           for k in out["signing_keys"]]))
    return 1 if outcome.failed else 0


def _progress_printer() -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        print(f"migrated {done}/{total} ...", file=sys.stderr, flush=True)
    return report


def register(sub: Subparsers) -> None:
    """``sekisho crypto …`` (service.cli wires it in with one line)."""
    crypto = sub.add_parser("crypto", help="withdraw algorithms (危殆化) and migrate objects")
    commands = crypto.add_subparsers(dest="crypto_command", required=True)
    p = commands.add_parser("withdraw", help="refuse an algorithm for new work, everywhere")
    p.add_argument("algorithm", help="allow-list id, e.g. AES-256-GCM")
    p.add_argument("--reason", help="why (recorded and audited)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=guarded(cmd_withdraw))
    p = commands.add_parser("reinstate", help="lift a withdrawal")
    p.add_argument("algorithm")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=guarded(cmd_reinstate))
    p = commands.add_parser("status", help="withdrawn algorithms and affected objects")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=guarded(cmd_status))
    p = commands.add_parser("migrate", help="re-encrypt objects using a withdrawn algorithm")
    p.add_argument("--batch", type=int, default=100, help="settle the key store every N")
    p.add_argument("--limit", type=int, help="migrate at most N objects in this run")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=guarded(cmd_migrate))


def main(argv: Sequence[str] | None = None) -> int:
    """These commands on their own (tests; ``python -m service.crypto_admin``)."""
    return standalone(register, argv)


if __name__ == "__main__":
    sys.exit(main())
