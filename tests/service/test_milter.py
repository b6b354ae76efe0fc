"""The milter driven over its socket by an MTA-side client (the PyPI ``miltertest``), without
Postfix: reject, tempfail, rewrite, the size refusal, and the failure policy (issue 7, item
5): a decision that is too slow or crashes is a 451 and the original is never accepted; the
process keeps serving. The decision itself is a fake here (the real one is exercised by
test_postfix_e2e.py); everything else is the product code, in its own process."""

from __future__ import annotations

import base64
import json
import os
import socket
import sqlite3
import sys
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest

from service.mail.result import Envelope, MailResult, Notification, tempfail
from service.milter_policy import (
    FailurePolicy,
    HeaderEdit,
    choose_direction,
    decide_in_time,
    header_edits,
    reply_lines,
)
from tests.fixtures.milterproc import milter_process

ROOT = Path(__file__).resolve().parents[2]
SLOW_SECONDS = 30.0
TEST_TIMEOUT_SECONDS = 1.5
MAX_BYTES = 100_000

pytest.importorskip("Milter", reason="pymilter (the `mail` extra) is not installed")
miltertest = pytest.importorskip("miltertest", reason="the PyPI miltertest is not installed")
C = miltertest.constants


# --- the fake decision, run inside the milter process ------------------------------------------

REWRITTEN = (b"From: a@police.pref.saitama.lg.jp\r\nTo: undisclosed-recipients:;\r\n"
             b"Subject: rewrite\r\nMIME-Version: 1.0\r\n"
             b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
             b"\r\n" + "書き換えた本文\r\n".encode())


def fake_decision(rt: Any, raw: bytes, envelope: Envelope) -> MailResult:
    subject = str(message_from_bytes(raw)["Subject"] or "")
    if subject == "reject":
        return MailResult("reject", 550, "5.7.1", "添付ファイル「極秘資料.docx」は外部に送れません",
                          "attachment 極秘資料.docx (C3) may not leave: rule 第3 5(3) 100%",
                          add_headers=[("X-Sekisho-Decision", "reject")])
    if subject == "tempfail":
        return tempfail("一時的に処理できません", "scanner down")
    if subject == "slow":
        time.sleep(SLOW_SECONDS)
    if subject == "crash":
        raise RuntimeError("the decision crashed")
    if subject == "rewrite":
        return MailResult("rewrite", 250, "2.0.0", message=REWRITTEN,
                          add_headers=[("X-Sekisho-Decision", "rewrite")])
    if subject == "stripped":  # pass, with the attachments' metadata stripped
        return MailResult("pass", 250, "2.0.0", message=REWRITTEN,
                          add_headers=[("X-Sekisho-Decision", "pass")])
    if subject == "notify":
        return MailResult("rewrite", 250, "2.0.0", message=REWRITTEN,
                          notifications=[Notification(envelope.mail_from, "pw", "secret")])
    return MailResult("pass", 250, "2.0.0", add_headers=[("X-Sekisho-Decision", "pass")])


def serve_fake(port: int, relay_port: int) -> None:
    """The milter process of these tests: the product's milter, fake decisions."""
    from core.settings import load_settings
    from service import milter
    from service.bootstrap import initialise
    from service.mail.notify import Relay
    from service.runtime import build_runtime

    settings = load_settings()
    initialise(settings, quiet=True)
    gateway = milter.build_gateway(build_runtime(settings), direction="auto",
                                   max_message_bytes=MAX_BYTES,
                                   relay=Relay("127.0.0.1", relay_port, timeout=2))
    gateway.policy = FailurePolicy(TEST_TIMEOUT_SECONDS, frozenset(), "C2")
    gateway.deciders = {"outbound": fake_decision, "inbound": fake_decision}
    milter.serve(gateway, f"inet:{port}@127.0.0.1")


# --- the MTA side --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def milter_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("milter")


@pytest.fixture(scope="module")
def milter_port(milter_home: Path) -> Iterator[int]:
    tmp = milter_home
    port, closed = free_port(), free_port()  # nothing listens on `closed`: the relay is down
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEKISHO_")}
    env.update(SEKISHO_DATA_DIR=str(tmp / "var"), PYTHONPATH=str(ROOT))
    command = [sys.executable, "-c",
               f"from tests.service.test_milter import serve_fake; serve_fake({port}, {closed})"]
    with milter_process(command, env, port, tmp / "milter.log"):
        yield port


def converse(port: int, subject: str, body: str = "hello\r\n",
             mail_from: str = "<a@police.pref.saitama.lg.jp>") -> list[tuple[str, dict[str, Any]]]:
    """One message through the milter as an MTA sends it; the end-of-message actions.
    (miltertest encodes body chunks from str as UTF-8.)"""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        conn = miltertest.MilterConnection(sock)
        _actions, protocol = conn.optneg_mta()
        # The milter must ask for the header fields and the body (pymilter negotiates away
        # the callbacks a subclass does not define).
        assert not protocol & (C.SMFIP_NOHDRS | C.SMFIP_NOBODY)
        conn.send(C.SMFIC_CONNECT, hostname="client.test", family="4", port=2525,
                  address="127.0.0.1")
        conn.send(C.SMFIC_MAIL, args=[mail_from])
        conn.send(C.SMFIC_RCPT, args=["<x@example.co.jp>"])
        headers = [("From", "a@police.pref.saitama.lg.jp"), ("To", "x@example.co.jp"),
                   ("Subject", subject), ("X-Sekisho-Decision", "pass (forged)"),
                   ("MIME-Version", "1.0"), ("Content-Type", "multipart/mixed; boundary=b")]
        for name, value in headers:
            conn.send(C.SMFIC_HEADER, name=name, value=value)
        conn.send(C.SMFIC_EOH)
        for start in range(0, len(body), C.MILTER_CHUNK_SIZE):
            reply = conn.send_ar(C.SMFIC_BODY, buf=body[start:start + C.MILTER_CHUNK_SIZE])
            if reply[0] != C.SMFIR_CONTINUE:
                return [reply]
        return list(conn.send_eom())


def reply_of(actions: list[tuple[str, dict[str, Any]]]) -> str:
    code, params = actions[-1]
    assert code == C.SMFIR_REPLYCODE, actions
    return f"{params['smtpcode']} {params['text']}"


def test_reject_is_550_with_english_and_japanese(milter_port: int) -> None:
    text = reply_of(converse(milter_port, "reject"))
    assert text.startswith("550 5.7.1 ")
    assert text.isascii()
    lines = [line[10:] for line in text.split("\r\n")]
    english = str(make_header(decode_header(lines[0])))
    assert "極秘資料.docx" in english and "100 percent" in english
    japanese = base64.b64decode("".join(line.removeprefix("ja-utf8-base64: ")
                                        for line in lines[1:])).decode()
    assert "極秘資料.docx" in japanese


def test_tempfail_decision_is_451(milter_port: int) -> None:
    assert reply_of(converse(milter_port, "tempfail")).startswith("451 4.3.0 scanner down")


def test_slow_decision_fails_closed_and_the_milter_keeps_serving(milter_port: int) -> None:
    started = time.monotonic()
    actions = converse(milter_port, "slow")
    assert time.monotonic() - started < SLOW_SECONDS / 2
    text = reply_of(actions)
    assert text.startswith("451 4.3.0 ") and "try again later" in text
    # Nothing of the original was accepted or changed.
    assert not [a for a in actions if a[0] in (C.SMFIR_ACCEPT, C.SMFIR_REPLBODY)]
    assert converse(milter_port, "hello")[-1][0] == C.SMFIR_ACCEPT


def test_crashing_decision_is_451(milter_port: int) -> None:
    assert reply_of(converse(milter_port, "crash")).startswith("451 4.3.0 ")
    assert converse(milter_port, "hello")[-1][0] == C.SMFIR_ACCEPT


def test_rewrite_replaces_body_and_headers(milter_port: int) -> None:
    actions = converse(milter_port, "rewrite", "--b\r\nContent-Type: text/html\r\n\r\n<p>x"
                                               "\r\n--b--\r\n")
    assert actions[-1][0] == C.SMFIR_ACCEPT
    body = "".join(p["buf"] for c, p in actions if c == C.SMFIR_REPLBODY)
    assert body == "書き換えた本文\r\n"
    changed = {(p["name"], p["index"], p["value"]) for c, p in actions
               if c == C.SMFIR_CHGHEADER}
    assert ("Content-Type", 1, "text/plain; charset=utf-8") in changed
    assert ("To", 1, "undisclosed-recipients:;") in changed
    assert ("X-Sekisho-Decision", 1, "") in changed  # the sender's forged header deleted
    added = {(p["name"], p["value"]) for c, p in actions if c == C.SMFIR_ADDHEADER}
    assert ("Content-Transfer-Encoding", "8bit") in added
    assert ("X-Sekisho-Decision", "rewrite") in added


def test_pass_adds_headers(milter_port: int) -> None:
    actions = converse(milter_port, "hello")
    assert actions[-1][0] == C.SMFIR_ACCEPT
    assert ("X-Sekisho-Decision", "pass") in {(p["name"], p["value"]) for c, p in actions
                                              if c == C.SMFIR_ADDHEADER}


def test_pass_with_metadata_stripped_replaces_the_body(milter_port: int) -> None:
    """A pass that changed the message (metadata stripped) must deliver the changed one."""
    actions = converse(milter_port, "stripped")
    assert actions[-1][0] == C.SMFIR_ACCEPT
    body = "".join(p["buf"] for c, p in actions if c == C.SMFIR_REPLBODY)
    assert body == "書き換えた本文\r\n"


def test_unsent_notification_tempfails_the_message(milter_port: int) -> None:
    actions = converse(milter_port, "notify")
    assert reply_of(actions).startswith("451 4.3.0 ")
    assert not [a for a in actions if a[0] == C.SMFIR_REPLBODY]


def test_message_over_the_size_limit_is_552(milter_port: int, milter_home: Path) -> None:
    actions = converse(milter_port, "big", "x" * (MAX_BYTES + 70_000))
    assert reply_of(actions).startswith("552 5.3.4 ")
    assert converse(milter_port, "hello")[-1][0] == C.SMFIR_ACCEPT
    # Refused unread, it still has its exchange record (every message writes one).
    with sqlite3.connect(milter_home / "var" / "sekisho.db") as db:
        rows = db.execute("SELECT source, outcome, reasons, requested_by FROM "
                          "exchange_records WHERE outcome = 'reject'").fetchall()
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("mail_outbound", "reject", "a@police.pref.saitama.lg.jp")]
    assert json.loads(rows[0][2])[0]["rule"] == "message_too_large"


# --- the policy functions on their own -----------------------------------------------------------

def test_direction() -> None:
    internal = ["police.pref.saitama.lg.jp"]
    assert choose_direction("auto", "a@police.pref.saitama.lg.jp", internal) == "outbound"
    assert choose_direction("auto", "a@sub.police.pref.saitama.lg.jp", internal) == "outbound"
    assert choose_direction("auto", "a@evilpolice.pref.saitama.lg.jp", internal) == "inbound"
    assert choose_direction("auto", "", internal) == "inbound"
    assert choose_direction("inbound", "a@police.pref.saitama.lg.jp", internal) == "inbound"


def test_reply_lines_are_ascii_and_short() -> None:
    result = MailResult("reject", 550, "5.7.1", "日本語" * 300, "line\r\nbreak 添付")
    lines = reply_lines(result)
    assert all(line.isascii() and len(line) <= 400 for line in lines)
    assert lines[0].startswith("line break =?UTF-8?B?")


def test_header_edits_delete_from_the_last() -> None:
    original = [("Received", "x"), ("Content-Type", "multipart/mixed"), ("X-A", "1"),
                ("X-A", "2"), ("X-A", "3")]
    rewritten = [("Content-Type", "text/plain"), ("X-A", "1")]
    assert header_edits(original, rewritten) == [
        HeaderEdit("Content-Type", 1, "text/plain"), HeaderEdit("X-A", 3, ""),
        HeaderEdit("X-A", 2, "")]


def _slow(rt: Any, raw: bytes, envelope: Envelope) -> MailResult:
    time.sleep(2)
    return MailResult("pass", 250, "2.0.0")


def test_fail_open_only_for_listed_known_levels() -> None:
    env = Envelope("a@x", ("b@y",))
    raw = b"From: a@x\r\nSubject: s\r\n\r\nbody\r\n"
    closed = decide_in_time(_slow, None, raw, env,  # type: ignore[arg-type]
                            FailurePolicy(0.2, frozenset(), "C1"))
    assert closed.decision == "tempfail" and closed.smtp_code == 451
    # The body (no attachment) is at the profile's default level: C1 listed -> fail open.
    opened = decide_in_time(_slow, None, raw, env,  # type: ignore[arg-type]
                            FailurePolicy(0.2, frozenset({"C1"}), "C1"))
    assert opened.decision == "pass"
    higher = decide_in_time(_slow, None, raw, env,  # type: ignore[arg-type]
                            FailurePolicy(0.2, frozenset({"C1"}), "C2"))
    assert higher.decision == "tempfail"
