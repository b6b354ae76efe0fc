"""`python -m bench.erase`: crypto-erase latency and throughput (issue 5, Targets).

Fills a fresh data directory with documents of one small stored object each (real KEK, real
sealed blobs, real database), then measures through service.erasure:

1. p50/p95 latency of ONE erase (one document, one object) including the TRUNCATE checkpoint
   (VACUUM on PostgreSQL), all three verification checks (the residue scan reads the whole
   SQLite file, so it grows with the database), deleting the ciphertext, signing the record and
   chaining it into the audit log;
2. the time to erase 10,000 objects, in batches (one destroy transaction, one checkpoint and one
   scan per batch; every document still gets its own signed record);
3. with --sequential, the same 10,000 erased one request at a time.

Every erase must verify; the bench stops if one does not.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.settings import Settings, load_settings  # noqa: E402
from core.states import DOC_PROCESSED  # noqa: E402
from service.accounts import create_user  # noqa: E402
from service.bootstrap import initialise  # noqa: E402
from service.erasure import (  # noqa: E402
    EraseRequest,
    RecordSigner,
    default_record_signer,
    erase_document,
    erase_documents,
)
from service.models import Document, User  # noqa: E402
from service.runtime import Runtime, build_runtime  # noqa: E402
from service.versions import record_blob  # noqa: E402

FILL_BATCH = 500


def fill(rt: Runtime, owner_id: int, count: int, size: int) -> list[str]:
    ids: list[str] = []
    while len(ids) < count:
        with rt.sessions.begin() as session:
            for _ in range(min(FILL_BATCH, count - len(ids))):
                data = uuid.uuid4().bytes * (size // 16)
                doc = Document(id=str(uuid.uuid4()), owner_id=owner_id, filename="bench.txt",
                               size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                               profile=rt.settings.profile, state=DOC_PROCESSED, findings=[],
                               report={})
                session.add(doc)
                session.flush()
                record_blob(session, doc.id, "original", rt.blobs.put_bytes(data), "text/plain")
                ids.append(doc.id)
    return ids


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))]


def single_latencies(rt: Runtime, ids: list[str], request: EraseRequest,
                     signer: RecordSigner) -> list[float]:
    latencies = []
    for doc_id in ids:
        start = time.perf_counter()
        erasure, created = erase_document(rt, doc_id, request, signer)
        latencies.append(time.perf_counter() - start)
        assert created and erasure.state == "completed"
    return latencies


def batched(rt: Runtime, ids: list[str], batch: int, request: EraseRequest,
            signer: RecordSigner) -> float:
    start = time.perf_counter()
    for at in range(0, len(ids), batch):
        done = erase_documents(rt, ids[at:at + batch], request, signer)
        assert all(e.state == "completed" for e in done)
    return time.perf_counter() - start


def db_size(rt: Runtime) -> str:
    """The SQLite file plus its -wal: what every erase's residue scan reads."""
    if not rt.settings.uses_sqlite:
        return "on the PostgreSQL server (not scanned: VACUUM, see the record's scope)"
    db = Path(str(rt.engine.url.database))
    size = sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())
    return f"{size / 1e6:.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--singles", type=int, default=200, help="erases timed one by one")
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--size", type=int, default=4096, help="plaintext bytes per object")
    parser.add_argument("--sequential", action="store_true",
                        help="also erase the objects one request at a time (slow)")
    parser.add_argument("--database-url", help="e.g. a PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sekisho-bench-erase-") as tmp:
        env = {"SEKISHO_DATA_DIR": str(Path(tmp) / "var")}
        if args.database_url:
            env["SEKISHO_DATABASE_URL"] = args.database_url
        run(load_settings(env), args)


def run(settings: Settings, args: argparse.Namespace) -> None:
    initialise(settings, quiet=True)
    rt = build_runtime(settings)
    with rt.sessions.begin() as session:
        officer: User = create_user(session, rt.audit_mac, name="bench-officer",
                                    roles=["records_officer"], profile=None, actor="bench",
                                    known_profiles=rt.profiles)
        session.flush()
        request = EraseRequest.by(officer, reason="bench")
    signer = default_record_signer(rt)  # the service key (keys.sign, ECDSA P-256 CMS)
    engine = "sqlite" if settings.uses_sqlite else "postgresql"
    total = args.singles + args.objects * (2 if args.sequential else 1)
    start = time.perf_counter()
    ids = fill(rt, request.operator_id, total, args.size)
    print(f"bench.erase: {engine}, {total} documents of one {args.size}-byte object stored in "
          f"{time.perf_counter() - start:.1f} s; database {db_size(rt)}")
    singles = single_latencies(rt, ids[:args.singles], request, signer)
    print(f"one erase (destroy, settle, 3 checks incl. scan of the key store, delete, "
          f"sign, audit): p50 {percentile(singles, 50) * 1000:.1f} ms, "
          f"p95 {percentile(singles, 95) * 1000:.1f} ms over {len(singles)} erases")
    rest = ids[args.singles:args.singles + args.objects]
    seconds = batched(rt, rest, args.batch, request, signer)
    print(f"{len(rest)} objects erased in batches of {args.batch}: {seconds:.1f} s "
          f"({len(rest) / seconds:.0f} objects/s); database {db_size(rt)}")
    if args.sequential:
        tail = ids[args.singles + args.objects:]
        start = time.perf_counter()
        single_latencies(rt, tail, request, signer)
        seconds = time.perf_counter() - start
        print(f"{len(tail)} objects erased one request at a time: {seconds:.1f} s "
              f"({len(tail) / seconds:.0f} objects/s)")
    rt.engine.dispose()


if __name__ == "__main__":
    main()
