"""`make bench` (second half): classifier speed, pattern-only path against presidio + GiNZA.

Issue 3, Targets: the pattern-only path must classify >= 5 MB/s of Japanese text on one core,
about 1000x presidio with GiNZA out of the box (~6 KB/s on these machines); both figures are
reported side by side from the same run, with peak memory.

- Input: ``tests.eval.generator.corpus``: realistic running Japanese text (official memos,
  rosters, tables, forms, long stretches of plain prose) with sparse entities. MB = 10^6
  bytes of UTF-8.
- (a) pattern-only: ``classifiers.classify_text(text, profile)`` on the whole ~5 MB text in
  one call, passing ``ner=False`` when ``classify_text`` takes that parameter; wall time,
  best of ``--repeat``.
- (b) presidio + GiNZA out of the box: ``AnalyzerEngine`` with the spaCy ``ja_ginza`` NLP
  engine and ``supported_languages=["ja"]`` (never the default engine: it would try to
  download an English model) analysing a ~30 KB sample of the same text, cut into chunks
  below Sudachi's 49,149-byte input limit; wall time, best of ``--presidio-repeat``; model
  loading is timed separately and not counted.

Each measurement runs in its own child process pinned to one CPU (``sched_setaffinity``,
BLAS/OpenMP threads set to 1). Peak memory is that child's ``ru_maxrss`` as returned by
``os.wait4`` for it (the per-child form of ``getrusage(RUSAGE_CHILDREN)``): the whole
process's resident peak, interpreter, imports, model and input text included; the child
also reports its high-water mark just before the timed work (``VmHWM``), so the difference
is what the classification itself added. The children get ``TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS``
empty and ``TLDEXTRACT_CACHE`` in a temporary directory so that nothing touches the network.
When presidio-analyzer or ja_ginza is not installed, (b) prints why it was skipped.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import inspect
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SUDACHI_MAX_BYTES = 49_149
CHUNK_BYTES = 40_000  # well under Sudachi's limit
TARGET_MB_S = 5.0
GINZA_CONFIG = {"nlp_engine_name": "spacy",
                "models": [{"lang_code": "ja", "model_name": "ja_ginza"}]}


# --- child side --------------------------------------------------------------------------


def _pin_one_cpu() -> int:
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def _vm_hwm_kb() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _best_of(repeat: int, work: Any) -> tuple[float, list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), times, result


def child_pattern(args: argparse.Namespace) -> dict[str, Any]:
    from tests.eval.generator import corpus

    text = corpus(int(args.mb * 1_000_000), seed=args.seed)
    from classifiers import classify_text
    from core.profiles import load_profiles

    profile = load_profiles()[args.profile]
    takes_ner = "ner" in inspect.signature(classify_text).parameters
    kwargs = {"ner": False} if takes_ner else {}
    cpu = _pin_one_cpu()
    hwm_before = _vm_hwm_kb()
    best, times, result = _best_of(args.repeat, lambda: classify_text(text, profile, **kwargs))
    return {"bytes": len(text.encode("utf-8")), "chars": len(text), "best_s": best,
            "times_s": times, "findings": len(result.findings), "ner_param": takes_ner,
            "cpu": cpu, "hwm_before_kb": hwm_before}


def _chunks(text: str, limit: int) -> list[str]:
    """Line-aligned pieces of at most ``limit`` UTF-8 bytes (lines are far shorter)."""
    chunks, current, size = [], [], 0
    for line in text.splitlines(keepends=True):
        n = len(line.encode("utf-8"))
        if current and size + n > limit:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(line)
        size += n
    if current:
        chunks.append("".join(current))
    assert all(len(c.encode("utf-8")) < SUDACHI_MAX_BYTES for c in chunks)
    return chunks


def child_presidio(args: argparse.Namespace) -> dict[str, Any]:
    missing = [m for m in ("presidio_analyzer", "spacy", "ja_ginza")
               if importlib.util.find_spec(m) is None]
    if missing:
        return {"skipped": f"not installed: {', '.join(missing)} "
                           "(pip install presidio-analyzer ginza ja-ginza, or the `ner` extra)"}
    from tests.eval.generator import corpus

    sample = corpus(int(args.presidio_kb * 1000), seed=args.seed, filler_per_doc=12)
    lines, size = [], 0
    for line in sample.splitlines(keepends=True):  # cut to about presidio_kb, on a line end
        if size >= args.presidio_kb * 1000:
            break
        lines.append(line)
        size += len(line.encode("utf-8"))
    sample = "".join(lines)
    chunks = _chunks(sample, CHUNK_BYTES)
    cpu = _pin_one_cpu()
    started = time.perf_counter()
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    engine = NlpEngineProvider(nlp_configuration=GINZA_CONFIG).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["ja"])
    load_s = time.perf_counter() - started
    hwm_before = _vm_hwm_kb()

    def analyse() -> int:
        return sum(len(analyzer.analyze(text=c, language="ja")) for c in chunks)

    best, times, findings = _best_of(args.presidio_repeat, analyse)
    return {"bytes": len(sample.encode("utf-8")), "chars": len(sample), "chunks": len(chunks),
            "best_s": best, "times_s": times, "findings": findings, "load_s": load_s,
            "cpu": cpu, "hwm_before_kb": hwm_before}


# --- parent side -------------------------------------------------------------------------


def _child_env(tmp: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
        "TLDEXTRACT_CACHE": os.path.join(tmp, "tldextract"),
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p),
    })
    return env


def run_child(kind: str, args: argparse.Namespace, tmp: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.classifier", "--child", kind, "--mb", str(args.mb),
           "--repeat", str(args.repeat), "--presidio-kb", str(args.presidio_kb),
           "--presidio-repeat", str(args.presidio_repeat), "--seed", str(args.seed),
           "--profile", args.profile]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, cwd=ROOT, env=_child_env(tmp))
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        return {"error": f"child exited with {proc.returncode} (its stderr is above)"}
    result: dict[str, Any] = json.loads(out.decode("utf-8").strip().splitlines()[-1])
    result["maxrss_kb"] = usage.ru_maxrss  # Linux: kilobytes
    return result


def classifier_version() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "classifiers").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "classifiers"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        head, dirty = "no git", ""
    state = " + uncommitted changes" if dirty else ""
    return f"commit {head}{state}, classifiers/*.py sha256 {digest.hexdigest()[:12]}"


def _mem(result: dict[str, Any]) -> str:
    peak = result["maxrss_kb"] / 1024
    before = result.get("hwm_before_kb")
    extra = f" (+{(result['maxrss_kb'] - before) / 1024:.0f} MB in the runs)" if before else ""
    return f"{peak:.0f} MB{extra}"


def report(pattern: dict[str, Any], presidio: dict[str, Any], args: argparse.Namespace) -> int:
    print(f"\nclassifier speed — {classifier_version()}")
    rows: list[tuple[str, str, str]] = [("", "pattern-only path", "presidio + GiNZA (out of box)")]
    ok_a, ok_b = "best_s" in pattern, "best_s" in presidio
    a_rate = pattern["bytes"] / pattern["best_s"] / 1e6 if ok_a else None
    b_rate = presidio["bytes"] / presidio["best_s"] / 1e3 if ok_b else None
    a_why = pattern.get("error", "")
    b_why = presidio.get("skipped") or presidio.get("error", "")
    rows += [
        ("input", f"{pattern['bytes'] / 1e6:.2f} MB, {pattern['chars']:,} chars" if ok_a
         else a_why, f"{presidio['bytes'] / 1e3:.1f} KB in {presidio['chunks']} chunk(s)"
         if ok_b else f"skipped: {b_why}"),
        ("wall time, best of runs", f"{pattern['best_s']:.3f} s of "
         f"{', '.join(f'{t:.3f}' for t in pattern['times_s'])}" if ok_a else "",
         f"{presidio['best_s']:.2f} s of {', '.join(f'{t:.2f}' for t in presidio['times_s'])}"
         if ok_b else ""),
        ("throughput (one core)", f"{a_rate:.2f} MB/s" if a_rate else "",
         f"{b_rate:.2f} KB/s" if b_rate else ""),
        ("peak RSS (ru_maxrss)", _mem(pattern) if ok_a else "", _mem(presidio) if ok_b else ""),
        ("findings", f"{pattern['findings']:,}" if ok_a else "",
         f"{presidio['findings']:,}" if ok_b else ""),
        ("notes", "ner=False passed" if ok_a and pattern["ner_param"]
         else "classify_text has no ner= (default path)" if ok_a else "",
         f"model load {presidio['load_s']:.1f} s, not timed" if ok_b else ""),
    ]
    for label, a, b in rows:
        print(f"  {label:26} {a:44} {b}")
    if a_rate and b_rate:
        print(f"  ratio: the pattern-only path is {a_rate * 1000 / b_rate:,.0f}x presidio + GiNZA")
    elif not ok_b:
        print(f"  ratio: not measured — presidio + GiNZA comparison skipped ({b_why})")
    if a_rate is None:
        print(f"  pattern-only path FAILED: {a_why}")
        return 1
    verdict = "PASS" if a_rate >= TARGET_MB_S else "MISS"
    print(f"  target (issue 3): pattern-only >= {TARGET_MB_S} MB/s on one core: {verdict}")
    if args.json:
        Path(args.json).write_text(json.dumps({"pattern": pattern, "presidio": presidio,
                                               "version": classifier_version()}, indent=2))
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.classifier",
                                     description="classifier speed: pattern-only vs presidio")
    parser.add_argument("--mb", type=float, default=5.0, help="pattern-path input, MB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--presidio-kb", type=float, default=30.0, help="presidio sample, KB")
    parser.add_argument("--presidio-repeat", type=int, default=3)
    parser.add_argument("--skip-presidio", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", default="saitama-police-2023")
    parser.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    parser.add_argument("--child", choices=("pattern", "presidio"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        work = child_pattern if args.child == "pattern" else child_presidio
        print(json.dumps(work(args)))
        return 0
    with tempfile.TemporaryDirectory(prefix="sekisho-bench-") as tmp:
        print(f"pattern-only path: {args.mb} MB, best of {args.repeat} ...", flush=True)
        pattern = run_child("pattern", args, tmp)
        if args.skip_presidio:
            presidio: dict[str, Any] = {"skipped": "--skip-presidio"}
        else:
            print(f"presidio + GiNZA: {args.presidio_kb} KB, best of {args.presidio_repeat} "
                  "...", flush=True)
            presidio = run_child("presidio", args, tmp)
    return report(pattern, presidio, args)


if __name__ == "__main__":
    sys.exit(main())
