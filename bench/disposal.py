"""`python -m bench.disposal`: bulk disposal throughput, and resumption after a kill (issue 6,
Targets: "Bulk disposal of 10,000 documents: throughput and time to the last signed record,
resumable after a worker is killed halfway").

Fills a fresh data directory with N documents of one small stored object each (real KEK, real
sealed blobs and DEKs, real database, as bench.erase does), asks for their disposal, has a
different approver grant it, then runs the execution of service.disposals (batches through
service.erasure: one signed record per document, progress committed per batch).

With --kill-halfway the execution runs in a child process that is SIGKILLed once about half
the documents are erased; the run is then resumed here and every document is checked to have
exactly one completed erasure (one record, one ``document.erased`` audit event).
Figures only: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.erase import db_size, fill  # noqa: E402
from core.settings import Settings, load_settings  # noqa: E402
from core.states import DOC_ERASED  # noqa: E402
from service.accounts import create_user  # noqa: E402
from service.approvals import decide_approval  # noqa: E402
from service.bootstrap import initialise  # noqa: E402
from service.disposals import DisposalAsk, request_disposal, run_disposal  # noqa: E402
from service.erasure import COMPLETED  # noqa: E402
from service.models import Approval, AuditEvent, Disposal, Document, Erasure, User  # noqa: E402
from service.runtime import Runtime, build_runtime  # noqa: E402

POLL_SECONDS = 0.2


def _user(rt: Runtime, name: str, role: str) -> User:
    with rt.sessions.begin() as session:
        user: User = create_user(session, rt.audit_mac, name=name, roles=[role], profile=None,
                                 actor="bench", known_profiles=rt.profiles)
        session.flush()
        session.expunge(user)
        return user


def approved_disposal(rt: Runtime, ids: list[str]) -> str:
    """Request (records officer) and grant (a different approver): the API's path, in-process."""
    officer = _user(rt, "bench-officer", "records_officer")
    approver = _user(rt, "bench-approver", "approver")
    with rt.sessions.begin() as session:
        session.info.update(audit_mac=rt.audit_mac, settings=rt.settings)
        disposal = request_disposal(session, rt.audit_mac, rt.profiles,
                                    session.get_one(User, officer.id),
                                    DisposalAsk({"document_ids": ids}, "職務上不要", "bench"))
        disposal_id = disposal.id
        if disposal.approval_id:
            approval = session.get_one(Approval, disposal.approval_id)
            decide_approval(session, rt.audit_mac, approval, session.get_one(User, approver.id),
                            grant=True, reason="bench")
    return disposal_id


def time_to_last_record(rt: Runtime, disposal_id: str) -> float:
    with rt.sessions() as session:
        disposal = session.get_one(Disposal, disposal_id)
        last = session.scalar(select(func.max(Erasure.completed_at)).where(
            Erasure.document_id.in_(disposal.document_ids[-500:])))
        assert disposal.started_at is not None and last is not None
        return (last - disposal.started_at).total_seconds()


def check_exactly_once(rt: Runtime, ids: list[str]) -> str:
    """Every document erased, one completed erasure and one document.erased event each."""
    with rt.sessions() as session:
        erasures = session.execute(select(Erasure.document_id, Erasure.state)).all()
        events = session.execute(select(AuditEvent.object_id, func.count()).where(
            AuditEvent.action == "document.erased").group_by(AuditEvent.object_id)).all()
        states = session.execute(select(Document.state, func.count()).group_by(
            Document.state)).all()
    wanted = set(ids)
    completed = [d for d, s in erasures if d in wanted and s == COMPLETED]
    problems = []
    if sorted(completed) != sorted(ids):
        problems.append(f"{len(completed)} completed erasures for {len(ids)} documents")
    if twice := [d for d, n in events if d in wanted and n != 1]:
        problems.append(f"{len(twice)} documents with more than one erased event")
    if sum(n for d, n in events if d in wanted) != len(ids):
        problems.append("erased events do not cover every document")
    if dict(states).get(DOC_ERASED, 0) != len(ids):
        problems.append(f"document states: {dict(states)}")
    return "; ".join(problems) or (f"OK: {len(ids)} documents, each with exactly one completed "
                                   "erasure and one signed record")


def run_child(disposal_id: str, batch: int) -> None:
    rt = build_runtime(load_settings())
    run_disposal(rt, disposal_id, batch_size=batch)


def kill_halfway(rt: Runtime, disposal_id: str, total: int, batch: int,
                 env: dict[str, str]) -> tuple[float, int]:
    """Run the execution in a child; SIGKILL it once half the documents are erased."""
    child = subprocess.Popen([sys.executable, "-m", "bench.disposal", "--child", disposal_id,
                              "--batch", str(batch)], cwd=ROOT, env=env)
    start = time.perf_counter()
    erased = 0
    while child.poll() is None:
        with rt.sessions() as session:
            erased = session.get_one(Disposal, disposal_id).erased
        if erased >= total // 2:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            break
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - start, erased


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="documents to dispose of")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--size", type=int, default=1024, help="plaintext bytes per object")
    parser.add_argument("--kill-halfway", action="store_true",
                        help="run in a child, SIGKILL it at about half, resume, check")
    parser.add_argument("--database-url", help="e.g. a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.batch)
        return
    with tempfile.TemporaryDirectory(prefix="sekisho-bench-disposal-") as tmp:
        env = {"SEKISHO_DATA_DIR": str(Path(tmp) / "var")}
        if args.database_url:
            env["SEKISHO_DATABASE_URL"] = args.database_url
        run(load_settings(env), args, {**os.environ, **env, "PYTHONPATH": str(ROOT)})


def run(settings: Settings, args: argparse.Namespace, child_env: dict[str, str]) -> None:
    initialise(settings, quiet=True)
    rt = build_runtime(settings)
    owner = _user(rt, "bench-uploader", "uploader")
    start = time.perf_counter()
    ids = fill(rt, owner.id, args.n, args.size)
    print(f"bench.disposal: {'sqlite' if settings.uses_sqlite else 'postgresql'}, {args.n} "
          f"documents of one {args.size}-byte object stored in "
          f"{time.perf_counter() - start:.1f} s; database {db_size(rt)}")
    disposal_id = approved_disposal(rt, ids)
    start = time.perf_counter()
    if args.kill_halfway:
        seconds, erased = kill_halfway(rt, disposal_id, args.n, args.batch, child_env)
        print(f"child SIGKILLed after {seconds:.1f} s with {erased}/{args.n} erased "
              f"({erased / seconds:.0f} docs/s)")
        resumed = time.perf_counter()
        state = run_disposal(rt, disposal_id, batch_size=args.batch)
        print(f"resumed here: {state} in {time.perf_counter() - resumed:.1f} s")
    else:
        state = run_disposal(rt, disposal_id, batch_size=args.batch)
    seconds = time.perf_counter() - start
    print(f"disposal of {args.n} documents in batches of {args.batch}: {state}, {seconds:.1f} s "
          f"({args.n / seconds:.0f} docs/s); time to the last signed record "
          f"{time_to_last_record(rt, disposal_id):.1f} s after the run started; "
          f"database {db_size(rt)}")
    if args.kill_halfway:
        print(f"exactly-once check: {check_exactly_once(rt, ids)}")
    rt.engine.dispose()


if __name__ == "__main__":
    main()
