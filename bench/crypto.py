"""`python -m bench.crypto [--gib 1]`: sealed stream throughput on one core, beside OpenSSL.

Issue 5 target: encrypt and decrypt of a 1 GiB object through the sealed stream (the at-rest
format of every stored object) at >= 1 GB/s on one core, peak RSS growth < 64 MB, reported
beside ``openssl speed -evp aes-256-gcm`` (its 16384-byte column) from the same run as the
ceiling.

Rows marked "target" are the sealed stream itself (plaintext from a generator, ciphertext to a
discarding sink; ciphertext from the page cache, plaintext discarded). Rows marked "context"
add what the service adds: writing the ciphertext file through the page cache, and the
bytes copy per segment of ``iter_sealed``.

Method. The process pins itself to one CPU (sched_setaffinity; the openssl child inherits the
mask). Plaintext comes from a generator repeating a 1 MiB random block, so the source costs
nothing and is never held whole (the block stays in cache, as openssl speed's buffer does).
Encrypt: generator -> SealedWriter -> a discarding sink, then -> a file in a private temporary
directory (page cache; the write(2) copies are part of that cost). Decrypt: that file ->
``unseal_to`` -> a discarding sink, and the service's own path ``iter_sealed``. The machine
is shared (2 cores): the load average at start is printed, and the openssl ceiling is
measured in the same run for that reason. Peak RSS growth per phase: VmHWM from
/proc/self/status, reset before each phase through /proc/self/clear_refs ("5"). A small round
trip is checked for correctness first, outside the timed runs. Times are the best of
``--repeat`` runs. GB/s is 10**9 bytes per second (OpenSSL's unit), on plaintext bytes.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from keys.handles import new_data_key  # noqa: E402
from keys.primitives.aead import Aes256Gcm  # noqa: E402
from keys.sealed import SealedWriter, decrypt_all, iter_sealed, unseal_to  # noqa: E402
from keys.sealed_format import DEFAULT_SEGMENT_SIZE  # noqa: E402

TARGET_GBPS = 1.0
TARGET_RSS_MB = 64.0
BLOCK = 1024 * 1024
GIB = 1024**3


@dataclass
class Row:
    name: str
    gbps: float
    seconds: float | None = None
    rss_growth_mb: float | None = None
    note: str = ""


class NullSink:
    """Drops what it is given (the decrypted bytes are not the subject of the benchmark)."""

    def write(self, data: object) -> int:
        return len(data)  # type: ignore[arg-type]


def generated(total: int, block: bytes) -> Iterator[memoryview]:
    view, left = memoryview(block), total
    while left > 0:
        n = min(left, len(block))
        yield view[:n]
        left -= n


# --- memory -------------------------------------------------------------------------------


def _status_kib(field: str) -> int:
    text = Path("/proc/self/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def reset_peak_rss() -> int:
    """Reset VmHWM to the current RSS (Linux clear_refs "5"); returns the baseline in KiB."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # then VmHWM is the process peak: the growth reported is an upper bound
    return _status_kib("VmRSS")


def peak_growth_mb(baseline_kib: int) -> float:
    return max(0, _status_kib("VmHWM") - baseline_kib) / 1024


def timed(run: Callable[[], None], repeat: int) -> tuple[float, float]:
    """Best wall time over ``repeat`` runs, and the largest peak RSS growth seen."""
    best, growth = float("inf"), 0.0
    for _ in range(repeat):
        baseline = reset_peak_rss()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
        growth = max(growth, peak_growth_mb(baseline))
    return best, growth


# --- the measured operations ----------------------------------------------------------------


def bench_sealed(workdir: Path, total: int, repeat: int, segment: int) -> list[Row]:
    key, block = new_data_key(), os.urandom(BLOCK)
    path = workdir / "object.sealed"

    def encrypt_to(sink: BinaryIO | NullSink) -> None:
        with SealedWriter(sink, key, "dek-bench", segment_size=segment) as writer:
            for chunk in generated(total, block):
                writer.write(chunk)

    def encrypt_discard() -> None:
        encrypt_to(NullSink())

    def encrypt_file() -> None:
        with path.open("wb") as sink:
            encrypt_to(sink)

    def decrypt() -> None:
        with path.open("rb") as source:
            unseal_to(source, NullSink(), key, expected_key_id="dek-bench")

    def decrypt_iter() -> None:
        with path.open("rb") as source:
            for _ in iter_sealed(source, key):
                pass

    rows = []
    for name, run, target in (
        ("sealed encrypt  generator -> discard", encrypt_discard, True),
        ("sealed encrypt  generator -> file", encrypt_file, False),
        ("sealed decrypt  file -> discard (unseal_to)", decrypt, True),
        ("sealed decrypt  file -> iter_sealed bytes", decrypt_iter, False),
    ):
        seconds, growth = timed(run, repeat)
        note = "target" if target else "context"
        rows.append(Row(name, total / seconds / 1e9, seconds, growth, note))
    path.unlink()
    return rows


def bench_raw_aead(total: int, repeat: int) -> Row:
    """pyca AES-256-GCM on 1 MiB reused buffers: the library's own in-process ceiling (pyca
    wheels bundle their own OpenSSL, which may be slower than the system's `openssl`)."""
    cipher, plain = Aes256Gcm(os.urandom(32)), memoryview(bytearray(os.urandom(BLOCK)))
    out, nonce = memoryview(bytearray(BLOCK + 16)), bytes(12)

    def run() -> None:
        for _ in range(total // BLOCK):
            cipher.encrypt_into(nonce, plain, out)

    seconds, _ = timed(run, repeat)
    return Row("pyca AES-256-GCM encrypt_into, 1 MiB buffers", total / seconds / 1e9, seconds,
               note="no framing")


def openssl_ceiling(seconds: int) -> Row:
    binary = shutil.which("openssl")
    if binary is None:
        return Row("openssl speed -evp aes-256-gcm (16384 B)", float("nan"), note="not installed")
    out = subprocess.run(
        [binary, "speed", "-evp", "aes-256-gcm", "-seconds", str(seconds), "-bytes", "16384"],
        capture_output=True, text=True, check=True,
    ).stdout
    return Row("openssl speed -evp aes-256-gcm (16384 B)", parse_openssl(out) / 1e9,
               note="ceiling, same core")


def openssl_versions() -> dict[str, str]:
    from cryptography.hazmat.backends.openssl import backend

    binary = shutil.which("openssl")
    cli = (subprocess.run([binary, "version"], capture_output=True, text=True).stdout.strip()
           if binary else "absent")
    return {"pyca_openssl": backend.openssl_version_text(), "cli_openssl": cli}


def parse_openssl(output: str) -> float:
    """Bytes/s in the 16384-byte column of `openssl speed` (values are in 1000s of bytes/s)."""
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("type"))
    columns = re.findall(r"(\d+) bytes", lines[header])
    index = columns.index("16384")
    for line in lines[header + 1:]:
        values = re.findall(r"([\d.]+)k", line)
        if line.upper().startswith("AES-256-GCM") and len(values) == len(columns):
            return float(values[index]) * 1000
    raise ValueError("no AES-256-GCM row in the openssl speed output")


def check_round_trip() -> None:
    key, data = new_data_key(), os.urandom(3 * DEFAULT_SEGMENT_SIZE + 123)
    sink = io.BytesIO()
    with SealedWriter(sink, key, "dek-check") as writer:
        writer.write(data)
    if decrypt_all(io.BytesIO(sink.getvalue()), key) != data:
        raise SystemExit("sealed round trip failed: not benchmarking a broken stream")


# --- report ---------------------------------------------------------------------------------


def render(rows: list[Row], meta: dict[str, object]) -> str:
    lines = [
        f"sekisho sealed stream: {meta['gib']} GiB, segment {meta['segment_kib']} KiB, "
        f"AES-256-GCM + HKDF-SHA-256, pinned to CPU {meta['cpu']}, best of {meta['repeat']}",
        f"load average at start {meta['load']} on {meta['cpus']} CPUs (others' work slows us)",
        f"pyca cryptography uses {meta['pyca_openssl']}; `openssl` is {meta['cli_openssl']}",
        "",
        f"{'operation':<46} {'GB/s':>6} {'seconds':>8} {'peak RSS +MB':>13}  note",
        "-" * 86,
    ]
    for row in rows:
        seconds = f"{row.seconds:8.2f}" if row.seconds is not None else " " * 8
        rss = f"{row.rss_growth_mb:13.1f}" if row.rss_growth_mb is not None else " " * 13
        lines.append(f"{row.name:<46} {row.gbps:6.2f} {seconds} {rss}  {row.note}")
    lines += ["", verdict(rows)]
    return "\n".join(lines)


def verdict(rows: list[Row]) -> str:
    sealed = [r for r in rows if r.name.startswith("sealed")]
    slowest = min(r.gbps for r in sealed if r.note == "target")
    biggest = max(r.rss_growth_mb or 0.0 for r in sealed)
    speed = "PASS" if slowest >= TARGET_GBPS else "MISS"
    memory = "PASS" if biggest < TARGET_RSS_MB else "MISS"
    return (f"targets: >= {TARGET_GBPS} GB/s on one core: {speed} (slowest {slowest:.2f}); "
            f"peak RSS growth < {TARGET_RSS_MB:.0f} MB: {memory} (largest {biggest:.1f} MB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0, help="object size in GiB (default 1)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per operation, best kept")
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: last)")
    parser.add_argument("--segment-kib", type=int, default=DEFAULT_SEGMENT_SIZE // 1024,
                        help="sealed segment size (default: the format default)")
    parser.add_argument("--openssl-seconds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where the sealed file goes")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    previous = os.sched_getaffinity(0)
    cpu = args.cpu if args.cpu is not None else max(previous)
    os.sched_setaffinity(0, {cpu})
    try:
        return _run(args, cpu, load)
    finally:
        os.sched_setaffinity(0, previous)


def _run(args: argparse.Namespace, cpu: int, load: str) -> int:
    total = int(args.gib * GIB) // BLOCK * BLOCK
    check_round_trip()
    with tempfile.TemporaryDirectory(prefix="sekisho-bench-", dir=args.dir) as workdir:
        rows = bench_sealed(Path(workdir), total, args.repeat, args.segment_kib * 1024)
    rows.append(bench_raw_aead(total, args.repeat))
    meta_lib = openssl_versions()
    rows.append(openssl_ceiling(args.openssl_seconds))
    meta = {"gib": args.gib, "segment_kib": args.segment_kib, "cpu": cpu,
            "repeat": args.repeat, "load": load, "cpus": os.cpu_count(), **meta_lib}
    if args.json:
        print(json.dumps({"meta": meta, "rows": [asdict(r) for r in rows],
                          "verdict": verdict(rows)}, indent=1))
    else:
        print(render(rows, meta))
    missed = "MISS" in verdict(rows)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
