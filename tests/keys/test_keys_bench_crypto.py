"""bench/crypto.py: the openssl parser and a tiny end-to-end run (the figures are in the report)."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from bench.crypto import main, parse_openssl

FULL_TABLE = """\
version: 3.0.19
The 'numbers' are in 1000s of bytes per second processed.
type             16 bytes     64 bytes    256 bytes   1024 bytes   8192 bytes  16384 bytes
AES-256-GCM      24010.86k    90896.38k   304125.31k   792179.97k  2006204.08k  2536276.64k
"""
ONE_COLUMN = """\
The 'numbers' are in 1000s of bytes per second processed.
type          16384 bytes
AES-256-GCM    2021464.35k
"""


def test_parse_the_16384_byte_column() -> None:
    assert parse_openssl(FULL_TABLE) == pytest.approx(2_536_276_640)
    assert parse_openssl(ONE_COLUMN) == pytest.approx(2_021_464_350)
    with pytest.raises(ValueError):
        parse_openssl("type 16384 bytes\nAES-128-GCM 1.00k\n")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")
def test_a_tiny_run_reports_every_row(capsys: pytest.CaptureFixture[str]) -> None:
    before = os.sched_getaffinity(0)
    assert main(["--gib", "0.01", "--repeat", "1", "--openssl-seconds", "1", "--json"]) == 0
    assert os.sched_getaffinity(0) == before  # the pin is undone: pytest keeps both cores
    report = json.loads(capsys.readouterr().out)
    names = [row["name"] for row in report["rows"]]
    assert sum(name.startswith("sealed") for name in names) == 4
    assert all(row["gbps"] > 0 for row in report["rows"])
    sealed = [row for row in report["rows"] if row["name"].startswith("sealed")]
    assert all(row["rss_growth_mb"] < 64 for row in sealed)
    assert "targets:" in report["verdict"]
