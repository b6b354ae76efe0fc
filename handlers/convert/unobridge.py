"""The UNO side of the LibreOffice converter, run by the SYSTEM Python (python3-uno).

Debian's ``python3-uno`` binds to /usr/bin/python3, not to our virtual environment, so this
file is a standalone script: standard library and ``uno`` only, nothing of ours. The
converter (handlers/convert/office.py) starts it as a child, it starts one headless
``soffice`` listening on a private pipe and connects over UNO, then serves requests read
from stdin, one at a time, until stdin closes.

Frames on both pipes are a 4-byte big-endian length followed by that many bytes. A request
is a JSON header frame ``{"import": FILTER, "export": FILTER, "filter_data": {...}}``
followed by a frame holding the document; a response is a JSON header frame ``{"ok": true}``
or ``{"ok": false, "error": CODE}`` followed by a frame holding the output (empty on error).

Documents go in and out through UNO streams (``private:stream``): neither the input nor the
output is ever written to disk by us (design: no plaintext at rest). Macros never run: the
document is loaded with ``MacroExecutionMode=NEVER_EXECUTE`` and ``UpdateDocMode=NO_UPDATE``
(no link refresh), and the private profile written by the converter sets macro security to
"very high" with macro execution disabled (Chiba 2(12) 無害化). Any interaction LibreOffice
asks for (password, repair, filter options) is answered with Abort: a password request
becomes the ``encrypted`` error, anything else a failed load.
"""

# This file runs under /usr/bin/python3, outside the venv: keep it standard library + uno.
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import threading
import time
from typing import Any, BinaryIO

import uno  # type: ignore[import-not-found, unused-ignore]
import unohelper  # type: ignore[import-not-found, unused-ignore]
from com.sun.star.awt import XCallback  # type: ignore[import-not-found, unused-ignore]
from com.sun.star.io import XOutputStream  # type: ignore[import-not-found, unused-ignore]
from com.sun.star.task import (  # type: ignore[import-not-found, unused-ignore]
    XInteractionHandler,
)

#: Longest wait for soffice to accept the first UNO connection.
CONNECT_TIMEOUT_SECONDS = 60.0
#: Largest frame accepted from the parent (the parent enforces its own, smaller limits).
MAX_FRAME_BYTES = 512 * 1024 * 1024
NEVER_EXECUTE = 0  # com.sun.star.document.MacroExecMode.NEVER_EXECUTE
NO_UPDATE = 0  # com.sun.star.document.UpdateDocMode.NO_UPDATE
_PASSWORD_REQUESTS = ("DocumentPasswordRequest", "DocumentMSPasswordRequest")


class BridgeError(Exception):
    """A request failed; ``code`` is reported to the parent, never document content."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class _OutputStream(unohelper.Base, XOutputStream):  # type: ignore[misc]
    """Collects what LibreOffice writes to ``private:stream`` in memory."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writeBytes(self, data: Any) -> None:
        self.chunks.append(bytes(data.value))

    def flush(self) -> None:
        pass

    def closeOutput(self) -> None:
        pass


class _AbortEverything(unohelper.Base, XInteractionHandler):  # type: ignore[misc]
    """Answers every question with Abort, remembering whether a password was asked for."""

    def __init__(self) -> None:
        self.password_requested = False

    def handle(self, request: Any) -> None:
        kind = request.getRequest().typeName.rsplit(".", 1)[-1]
        if kind.startswith(_PASSWORD_REQUESTS):
            self.password_requested = True
        abort = uno.getTypeByName("com.sun.star.task.XInteractionAbort")
        for continuation in request.getContinuations():
            if continuation.queryInterface(abort) is not None:
                continuation.select()
                return


def _props(**values: Any) -> tuple[Any, ...]:
    items = []
    for name, value in values.items():
        prop = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
        prop.Name, prop.Value = name, value
        items.append(prop)
    return tuple(items)


def _filter_data(values: dict[str, Any]) -> Any:
    return uno.Any("[]com.sun.star.beans.PropertyValue", _props(**values))


class Office:
    """One soffice process and the UNO desktop inside it."""

    def __init__(self, soffice: str, profile_url: str, pipe: str) -> None:
        self.process = subprocess.Popen(  # the parent kills the whole process group
            [soffice, "--headless", "--invisible", "--norestore", "--nologo",
             "--nodefault", "--nolockcheck", f"-env:UserInstallation={profile_url}",
             f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.context = self._connect(pipe)
        self.desktop = self.context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", self.context)

    def _connect(self, pipe: str) -> Any:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + CONNECT_TIMEOUT_SECONDS
        while True:
            try:
                return resolver.resolve(
                    f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            except Exception:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise BridgeError("start_failed") from None
                time.sleep(0.05)

    def convert(self, header: dict[str, Any], data: bytes) -> bytes:
        """Run one conversion on LibreOffice's main thread and wait for it.

        Called directly over the bridge, loadComponentFromURL runs on a UNO worker thread,
        and LibreOffice 7.4 aborts there on documents with comments. An AsyncCallback runs
        the job from the main loop; our calls back into soffice then keep that thread (URP
        keeps thread identity for nested calls). The parent's timeout bounds the wait.
        """
        job = _Job(self, header, data)
        callback = self.context.ServiceManager.createInstanceWithContext(
            "com.sun.star.awt.AsyncCallback", self.context)
        uno.invoke(callback, "addCallback", (job, uno.Any("void", None)))
        job.done.wait()
        if job.error is not None:
            raise BridgeError(job.error)
        return job.result

    def load(self, header: dict[str, Any], data: bytes) -> Any:
        smgr = self.context.ServiceManager
        stream = smgr.createInstanceWithArgumentsAndContext(
            "com.sun.star.io.SequenceInputStream", (uno.ByteSequence(data),), self.context)
        interaction = _AbortEverything()
        load = _props(InputStream=stream, FilterName=header["import"], Hidden=True,
                      ReadOnly=True, MacroExecutionMode=NEVER_EXECUTE, UpdateDocMode=NO_UPDATE,
                      InteractionHandler=interaction, RepairPackage=False)
        try:
            document = self.desktop.loadComponentFromURL("private:stream", "_blank", 0, load)
        except Exception:
            document = None
        if document is None:
            raise BridgeError("encrypted" if interaction.password_requested else "load_failed")
        return document

    @staticmethod
    def store(document: Any, header: dict[str, Any]) -> bytes:
        output = _OutputStream()
        store = dict(OutputStream=output, FilterName=header["export"], Overwrite=True)
        if header.get("filter_data"):
            store["FilterData"] = _filter_data(header["filter_data"])
        try:
            document.storeToURL("private:stream", _props(**store))
        except Exception:
            raise BridgeError("store_failed") from None
        return b"".join(output.chunks)


class _Job(unohelper.Base, XCallback):  # type: ignore[misc]
    """One conversion, run by LibreOffice's main loop (see ``Office.convert``)."""

    def __init__(self, office: Office, header: dict[str, Any], data: bytes) -> None:
        self.office, self.header, self.data = office, header, data
        self.done = threading.Event()
        self.result = b""
        self.error: str | None = None

    def notify(self, _data: Any) -> None:
        try:
            document = self.office.load(self.header, self.data)
            try:
                self.result = self.office.store(document, self.header)
            finally:
                document.close(True)
        except BridgeError as exc:
            self.error = exc.code
        except Exception:
            self.error = "convert_failed"
        finally:
            self.done.set()


def read_frame(stream: BinaryIO) -> bytes | None:
    head = stream.read(4)
    if len(head) < 4:
        return None
    (length,) = struct.unpack(">I", head)
    if length > MAX_FRAME_BYTES:
        raise BridgeError("frame_too_large")
    body = stream.read(length)
    if len(body) < length:
        return None
    return body


def write_frame(stream: BinaryIO, body: bytes) -> None:
    stream.write(struct.pack(">I", len(body)) + body)
    stream.flush()


def serve(office: Office, inp: BinaryIO, out: BinaryIO) -> None:
    while True:
        header_frame = read_frame(inp)
        data = read_frame(inp) if header_frame is not None else None
        if header_frame is None or data is None:
            return
        try:
            result = office.convert(json.loads(header_frame), data)
            reply: dict[str, Any] = {"ok": True}
        except BridgeError as exc:
            if office.process.poll() is not None:
                return  # soffice died: no answer; the parent restarts both of us
            result, reply = b"", {"ok": False, "error": exc.code}
        write_frame(out, json.dumps(reply).encode())
        write_frame(out, result)


PARENT_CHECK_SECONDS = 2.0


def _stop_office(office: Office) -> None:
    try:
        office.desktop.terminate()
    except Exception:  # noqa: S110 - soffice may already be gone
        pass
    try:
        office.process.kill()  # terminate() can leave a headless soffice running
    except OSError:
        pass


def _watch_parent(office: Office, parent: int) -> None:
    """Leave no soffice behind a parent that died without closing our stdin (SIGKILL, or a
    copy of the pipe inherited by a forked child): once re-parented, stop and exit."""
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        if os.getppid() != parent:
            _stop_office(office)
            os._exit(0)


def main(argv: list[str]) -> int:
    soffice, profile_url, pipe = argv[1:4]
    out = sys.stdout.buffer
    parent = os.getppid()
    try:
        office = Office(soffice, profile_url, pipe)
    except BridgeError as exc:
        write_frame(out, json.dumps({"ok": False, "error": exc.code}).encode())
        return 1
    threading.Thread(target=_watch_parent, args=(office, parent), daemon=True).start()
    write_frame(out, json.dumps({"ok": True, "ready": True}).encode())
    try:
        serve(office, sys.stdin.buffer, out)
    finally:
        _stop_office(office)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
