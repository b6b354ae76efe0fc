"""A hostile file can fail its own job but cannot take the worker down (issue 4, item 8)."""

from __future__ import annotations

import time

import pytest

from core.errors import ProcessingTimeout, ResourceLimitExceeded
from handlers.isolation import Limits, ProcessingFailed, run_isolated
from handlers.limits import TooManyPages
from tests.handlers.isolation import targets


def test_result_comes_back() -> None:
    assert run_isolated(targets.echo, b"abc") == b"cba"


def test_content_errors_keep_their_class_and_code() -> None:
    with pytest.raises(TooManyPages) as raised:
        run_isolated(targets.refuse)
    assert raised.value.code == "too_many_pages"
    assert "9999 pages" in raised.value.message


def test_timeout_kills_the_child() -> None:
    started = time.monotonic()
    with pytest.raises(ProcessingTimeout) as raised:
        run_isolated(targets.sleep_forever, limits=Limits(timeout_seconds=1.0))
    assert raised.value.code == "processing_timeout"
    assert time.monotonic() - started < 10


def test_cpu_limit() -> None:
    with pytest.raises(ResourceLimitExceeded):
        run_isolated(targets.spin_forever, limits=Limits(cpu_seconds=1, timeout_seconds=30))


def test_memory_limit() -> None:
    limits = Limits(memory_bytes=1024**3)
    assert run_isolated(targets.allocate, 16, limits=limits) == 16 * 1024 * 1024
    with pytest.raises(ResourceLimitExceeded) as raised:
        run_isolated(targets.allocate, 4096, limits=limits)
    assert raised.value.code == "resource_limit_exceeded"


def test_native_crash_is_a_failed_job_not_a_dead_worker() -> None:
    with pytest.raises(ProcessingFailed) as raised:
        run_isolated(targets.crash_natively)
    assert raised.value.code == "processing_failed"
    assert run_isolated(targets.echo, b"still here") == b"ereh llits"


def test_unexpected_errors_carry_no_content() -> None:
    with pytest.raises(ProcessingFailed) as raised:
        run_isolated(targets.fail_unexpectedly)
    assert "SECRET-CONTENT" not in raised.value.message
    assert "KeyError" in raised.value.message


def test_children_do_not_import_the_parents_main_module(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Under `sekisho worker` the main module is the whole CLI: re-importing it in every
    child cost about 2 s per cleaned file (bench.mail). Only the parent imports it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    counter = tmp_path / "imports"
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-m", "tests.handlers.isolation.main_probe"], cwd=root,
        env={**os.environ, "SEKISHO_PROBE_COUNTER": str(counter)},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "done" in result.stdout, result.stderr
    imports = counter.read_text().splitlines()
    assert len(imports) == 1 and imports[0].endswith("__main__"), imports
