"""A warm LibreOffice converter: one headless soffice kept running between jobs.

A cold ``soffice --convert-to`` costs about 1.1 s per file here; the issue asks for at most
0.5 s per small DOCX in ``pdf`` mode. So one soffice stays up, driven over UNO by a small
bridge script (unobridge.py) that runs under the system Python, where Debian's python3-uno
lives. Requests are serialised (one document at a time per converter); a request that fails
to answer within its timeout kills the bridge and soffice (one process group) and the next
request starts a fresh pair.

Isolation and secrecy:

- every start gets a new private runtime directory (0700) holding the LibreOffice profile,
  ``HOME`` and ``TMPDIR``; it is removed when the converter stops, restarts or the process
  exits (design: temporary plaintext only in a private directory removed in ``finally``);
- documents travel over the bridge's pipes and UNO streams, never as files we write;
- macros never run: ``MacroExecutionMode=NEVER_EXECUTE`` and ``UpdateDocMode=NO_UPDATE`` on
  every load, plus a profile with macro security "very high", macro execution disabled,
  untrusted referer links blocked and formula recalculation on load off (a recalculated
  WEBSERVICE() would reach out; Chiba 2(12) 無害化);
- the child environment carries nothing of ours (no SEKISHO_* settings, no keys).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from core.errors import ConverterUnavailable, CorruptFile, EncryptedContent, ProcessingTimeout
from handlers.convert.channel import Channel, ChannelClosed, ChannelTimeout, FrameTooLarge
from handlers.limits import FileTooLarge, check_size

#: Interpreter that has python3-uno (Debian binds it to the system Python, not our venv).
SYSTEM_PYTHON = "/usr/bin/python3"
BRIDGE = Path(__file__).with_name("unobridge.py")
#: Largest document handed to LibreOffice.
MAX_CONVERT_INPUT_BYTES = 100 * 1024 * 1024
#: Largest converted output accepted back.
MAX_CONVERT_OUTPUT_BYTES = 300 * 1024 * 1024
#: Seconds for soffice to start and accept the UNO connection (cold start is ~2 s here).
START_TIMEOUT_SECONDS = 60.0
#: Seconds one conversion may take before soffice is killed and restarted.
CONVERT_TIMEOUT_SECONDS = 120.0
_MAX_REPLY_HEADER_BYTES = 4096

#: Profile settings written before soffice first starts (registrymodifications.xcu).
_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
{items}
</oor:items>
"""
_PROFILE_ITEMS = (
    ("org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "3"),
    ("org.openoffice.Office.Common/Security/Scripting", "DisableMacrosExecution", "true"),
    ("org.openoffice.Office.Common/Security/Scripting", "BlockUntrustedRefererLinks", "true"),
    ("org.openoffice.Office.Calc/Formula/Load", "OOXMLRecalcMode", "1"),
    ("org.openoffice.Office.Calc/Formula/Load", "ODFRecalcMode", "1"),
    ("org.openoffice.Office.Common/Misc", "UseLocking", "false"),
)


class ConversionFailed(CorruptFile):
    """LibreOffice could not read or write the document (damaged or not what it claims)."""

    code = "conversion_failed"
    default_message = "LibreOffice could not convert the document"


class ConversionTimeout(ProcessingTimeout):
    code = "conversion_timeout"
    default_message = "LibreOffice took longer than the conversion time limit"


class ConvertedTooLarge(FileTooLarge):
    code = "converted_too_large"
    default_message = "the converted document is larger than the limit"


@dataclass(frozen=True)
class ConvertRequest:
    import_filter: str
    export_filter: str
    filter_data: dict[str, Any] | None = None

    def header(self) -> bytes:
        return json.dumps({"import": self.import_filter, "export": self.export_filter,
                           "filter_data": self.filter_data or {}}).encode()


def find_soffice() -> str | None:
    """The soffice binary, or None when LibreOffice is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def converter_available() -> bool:
    return find_soffice() is not None and _has_uno()


def _has_uno() -> bool:
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True,
                           timeout=30, check=False, env=_base_environment())
    return probe.returncode == 0


def _base_environment() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8"}


class _Running:
    """One started bridge + soffice pair and its private directory."""

    def __init__(self, soffice: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="sekisho-office-"))  # mkdtemp: 0700
        try:
            self.process = self._start(soffice)
            self.channel = Channel(_pipe(self.process.stdin), _pipe(self.process.stdout))
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        # Runs on stop(), when the object is collected, or at interpreter exit, whichever
        # comes first: an owner that forgets close() still leaves no process or directory.
        self._finalizer = weakref.finalize(self, _kill_and_remove, self.process, self.root)

    def _start(self, soffice: str) -> subprocess.Popen[bytes]:
        profile = self.root / "profile"
        (profile / "user").mkdir(parents=True)
        (self.root / "tmp").mkdir()
        items = "\n".join(
            f'<item oor:path="/{path}"><prop oor:name="{name}" oor:op="fuse">'
            f"<value>{value}</value></prop></item>" for path, name, value in _PROFILE_ITEMS)
        (profile / "user" / "registrymodifications.xcu").write_text(
            _PROFILE.format(items=items), encoding="utf-8")
        env = {**_base_environment(), "HOME": str(self.root), "TMPDIR": str(self.root / "tmp"),
               "SAL_USE_VCLPLUGIN": "svp"}
        pipe = f"sekisho-{os.getpid()}-{os.urandom(6).hex()}"
        return subprocess.Popen(
            [SYSTEM_PYTHON, str(BRIDGE), soffice, profile.as_uri(), pipe],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, cwd=self.root, start_new_session=True,  # own group: killed as one
        )

    def wait_ready(self) -> None:
        reply = json.loads(self.channel.receive(time.monotonic() + START_TIMEOUT_SECONDS,
                                                _MAX_REPLY_HEADER_BYTES))
        if not reply.get("ready"):
            raise ConverterUnavailable("LibreOffice did not start")

    def stop(self) -> None:
        self._finalizer()


def _kill_and_remove(process: subprocess.Popen[bytes], root: Path) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
    shutil.rmtree(root, ignore_errors=True)


def _pipe(stream: IO[bytes] | None) -> IO[bytes]:
    assert stream is not None  # Popen was given PIPE
    return stream


class OfficeConverter:
    """A warm LibreOffice; thread-safe, one conversion at a time."""

    def __init__(self, *, timeout: float = CONVERT_TIMEOUT_SECONDS) -> None:
        self._lock = threading.Lock()
        self._running: _Running | None = None
        self._timeout = timeout

    def convert(self, untrusted_data: bytes, request: ConvertRequest) -> bytes:
        """Run one conversion; starts LibreOffice on first use or after a failure."""
        check_size(untrusted_data, MAX_CONVERT_INPUT_BYTES)
        with self._lock:
            running = self._ensure_running()
            try:
                return self._exchange(running, untrusted_data, request)
            except (ChannelTimeout, ChannelClosed, FrameTooLarge, OSError, ValueError) as exc:
                self._discard()
                raise _failure(exc) from exc

    def _ensure_running(self) -> _Running:
        if self._running is not None and self._running.process.poll() is None:
            return self._running
        self._discard()
        soffice = find_soffice()
        if soffice is None or not os.access(SYSTEM_PYTHON, os.X_OK):
            raise ConverterUnavailable()
        running = _Running(soffice)
        try:
            running.wait_ready()
        except (ChannelTimeout, ChannelClosed, FrameTooLarge, ValueError) as exc:
            running.stop()
            raise ConverterUnavailable("LibreOffice (or python3-uno) did not start") from exc
        except BaseException:
            running.stop()
            raise
        self._running = running
        return running

    def _exchange(self, running: _Running, data: bytes, request: ConvertRequest) -> bytes:
        deadline = time.monotonic() + self._timeout
        running.channel.send([request.header(), data], deadline)
        reply = json.loads(running.channel.receive(deadline, _MAX_REPLY_HEADER_BYTES))
        output = running.channel.receive(deadline, MAX_CONVERT_OUTPUT_BYTES)
        if reply.get("ok"):
            return output
        if reply.get("error") == "encrypted":
            raise EncryptedContent()
        raise ConversionFailed(f"LibreOffice refused the document ({reply.get('error')})")

    def _discard(self) -> None:
        if self._running is not None:
            running, self._running = self._running, None
            running.stop()

    def close(self) -> None:
        with self._lock:
            self._discard()

    @property
    def pid(self) -> int | None:
        """The bridge's process id while running (tests kill it to check the restart)."""
        running = self._running
        return running.process.pid if running is not None else None


def _failure(exc: BaseException) -> Exception:
    if isinstance(exc, ChannelTimeout):
        return ConversionTimeout()
    if isinstance(exc, FrameTooLarge):
        return ConvertedTooLarge()
    return ConversionFailed("LibreOffice stopped while converting; it will be restarted")


_shared: OfficeConverter | None = None
_shared_lock = threading.Lock()


def shared_converter() -> OfficeConverter:
    """The process-wide converter, stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = OfficeConverter()
            atexit.register(_shared.close)
        return _shared
