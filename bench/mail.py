"""`python -m bench.mail`: what the milter adds to mail delivery (issue 7, Targets: added p99
<= 300 ms without NER or Office conversion).

One private Postfix (tests/fixtures/postfix.py) with two smtpd ports, the same run: one calls
the real ``sekisho milter`` process, the other calls none. The same ~200 KB message (a text
body, a DOCX and a PDF attachment) goes from an internal sender to an external recipient
over 2 concurrent SMTP connections to each port. The gateway's real work is timed under the
default profile (Saitama): classify the body and both attachments, decide, sanitise and
label the attachments in the isolated child, rebuild the message, record the exchange. NER
is off (SEKISHO_NER=0) and nothing is converted by LibreOffice (outbound
mode structural). Latency = MAIL FROM .. the reply to the end of DATA, per message; the first
messages on each port are a warm-up. Needs root and Postfix; prints figures only.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.mailgen import make_eml  # noqa: E402
from tests.fixtures.milterproc import milter_process  # noqa: E402
from tests.fixtures.officegen import make_docx  # noqa: E402
from tests.fixtures.pdfgen import make_text_pdf  # noqa: E402
from tests.fixtures.postfix import (  # noqa: E402
    free_port,
    postfix_unavailable,
    running_postfix,
)

TARGET_ADDED_P99_MS = 300.0
SENDER = "bench@police.pref.saitama.lg.jp"
RECIPIENT = "partner@example.co.jp"
TARGET_BYTES = 200 * 1024
CONCURRENCY = 2


def bench_message() -> bytes:
    """About 200 KB: a Japanese text body padded to size, a DOCX and a PDF."""
    docx = make_docx([f"打合せ資料 第{n}項：来週の日程と議題の確認" for n in range(200)])
    pdf = make_text_pdf("会議録：出席者と議事の概要", pages=5)
    attachments = [
        ("meeting.docx", "application/vnd.openxmlformats-officedocument."
                         "wordprocessingml.document", docx),
        ("minutes.pdf", "application/pdf", pdf),
    ]
    base = len(make_eml("x", from_address=SENDER, to=RECIPIENT, attachments=attachments))
    line = "本日の打合せの件、資料を添付しますのでご確認ください。\n"
    # ISO-2022-JP is about 2 bytes a character plus the escapes.
    body = line * max(1, (TARGET_BYTES - base) // (len(line) * 2 + 6))
    return make_eml(body, subject="打合せ資料の送付", from_address=SENDER, to=RECIPIENT,
                    attachments=attachments)


def _send_one(port: int, raw: bytes) -> float:
    with smtplib.SMTP("127.0.0.1", port, timeout=300) as smtp:
        smtp.ehlo()
        started = time.perf_counter()
        smtp.sendmail(SENDER, [RECIPIENT], raw)
        return (time.perf_counter() - started) * 1000.0


def run_port(port: int, raw: bytes, count: int, warmup: int) -> tuple[list[float], float]:
    """Latencies (ms) of ``count`` messages at CONCURRENCY connections, and msgs/s."""
    for _ in range(warmup):
        _send_one(port, raw)
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        latencies = list(pool.map(lambda _n: _send_one(port, raw), range(count)))
    return latencies, count / (time.perf_counter() - started)


def decision_times(log_text: str, measured: int) -> list[float]:
    """The milter logs how long each decision took; the last ``measured`` ones are the
    timed messages (the warm-up came first)."""
    found = [float(m) for m in re.findall(r"decided in (\d+) ms", log_text)]
    return found[-measured:]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def milter_env(data_dir: Path, relay_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEKISHO_")}
    env.update(SEKISHO_DATA_DIR=str(data_dir), SEKISHO_NER="0", PYTHONPATH=str(ROOT),
               SEKISHO_SMTP_RELAY=f"127.0.0.1:{relay_port}")
    subprocess.run([sys.executable, "-m", "service.cli", "init", "--quiet"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=40, help="per port (default 40)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--socket", choices=["inet", "unix"], default="inet",
                        help="how Postfix reaches the milter (default inet: TCP on loopback)")
    args = parser.parse_args(argv)
    if reason := postfix_unavailable():
        print(f"bench.mail: skipped: {reason}")
        return 0
    raw = bench_message()
    work = Path(tempfile.mkdtemp(prefix="sekisho-bench-mail-"))
    milter_port = free_port()
    endpoint: int | Path = milter_port
    spec = f"inet:{milter_port}@127.0.0.1"  # libmilter's form; Postfix's is inet:HOST:PORT
    postfix_spec = None
    if args.socket == "unix":  # the postfix user must reach it: not under a 0700 directory
        work.chmod(0o755)
        endpoint = work / "milter.sock"
        spec = postfix_spec = f"unix:{endpoint}"
    try:
        with running_postfix(milter_port, milter_socket=postfix_spec) as postfix:
            command = [sys.executable, "-m", "service.cli", "milter", "--socket", spec,
                       "--socket-mode", "0666"]
            with milter_process(command, milter_env(work / "var", postfix.plain_port),
                                endpoint, work / "milter.log"):
                plain, plain_rate = run_port(postfix.plain_port, raw, args.messages,
                                             args.warmup)
                gated, gated_rate = run_port(postfix.port, raw, args.messages, args.warmup)
            log_text = (work / "milter.log").read_text(errors="replace")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"mail gateway: {len(raw) / 1024:.0f} KB message (DOCX + PDF), "
          f"{args.messages} messages per port, {CONCURRENCY} concurrent connections, "
          f"NER off, no Office conversion, milter socket: {args.socket}")
    for name, values, rate in (("without milter", plain, plain_rate),
                               ("with milter", gated, gated_rate)):
        print(f"  {name:<15} p50 {pct(values, 0.5):8.1f} ms  p99 {pct(values, 0.99):8.1f} ms"
              f"  mean {statistics.fmean(values):8.1f} ms  {rate:6.2f} msg/s")
    decided = decision_times(log_text, len(gated))
    if decided:
        print(f"  decision alone  p50 {pct(decided, 0.5):8.1f} ms  p99 {pct(decided, 0.99):8.1f} ms"
              "  (the milter's own log: the decision in its worker, queueing included)")
    added_p50 = pct(gated, 0.5) - pct(plain, 0.5)
    added_p99 = pct(gated, 0.99) - pct(plain, 0.99)
    print(f"  added latency   p50 {added_p50:8.1f} ms  p99 {added_p99:8.1f} ms"
          f"  (target p99 <= {TARGET_ADDED_P99_MS:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
