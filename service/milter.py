"""``sekisho milter``: the Postfix / Sendmail front end of the mail gateway (issue 7, item 1).

One process serves every connection (libmilter runs one thread per connection). Each message
is collected (envelope, header fields, body; at most ``--max-message-bytes``), then at the end
of the message the decision code (service.mail.outbound / inbound, the same as
POST /v1/mail/*) runs in its own thread with the profile's ``mail.timeout_seconds``: no
decision in time, or a failure, is a 451 temporary failure (item 5: fail closed, the original
is never passed). The answer is applied with the milter actions: reject -> 550 with an English
and a (base64) Japanese explanation; rewrite -> the body and the changed header fields
replaced; pass -> X-Sekisho-* header fields added. A crash while handling one message
tempfails that message and the process keeps serving the others.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from service.mail.notify import Relay, send_notifications
from service.mail.result import (
    REJECT_CODE,
    REJECT_STATUS,
    TEMPFAIL_CODE,
    TEMPFAIL_STATUS,
    Envelope,
    MailResult,
    tempfail,
)
from service.mail.unread import record_unread_refusal
from service.milter_policy import (
    Decider,
    Direction,
    FailurePolicy,
    choose_direction,
    decide_in_time,
    header_edits,
    reply_lines,
    split_message,
    spoofed_header_deletions,
)
from service.milter_pool import DecisionPool
from service.milter_socket import DEFAULT_SOCKET_MODE, socket_mode, tuned_listener

if TYPE_CHECKING:
    from service.runtime import Runtime

log = logging.getLogger("sekisho.milter")

NAME = "sekisho"
DEFAULT_SOCKET = "inet:8894@127.0.0.1"
# The size refusal (RFC 3463 5.3.4: message too big for system).
TOO_BIG_CODE, TOO_BIG_STATUS = 552, "5.3.4"
REPLACEBODY_CHUNK = 65536
# How long the MTA waits for us per step; above the decision timeout so that our own 451
# answers first (Postfix's milter_content_timeout should be set the same way).
MTA_TIMEOUT_MARGIN = 30


@dataclass
class Gateway:
    """What every connection shares, built once at start (one Runtime per process)."""

    rt: Runtime
    direction: str  # outbound | inbound | auto
    max_message_bytes: int
    relay: Relay
    policy: FailurePolicy
    internal_domains: tuple[str, ...]
    deciders: dict[str, Decider] = field(default_factory=dict)
    pool: DecisionPool | None = None  # None: decide on the connection's own thread

    def decider(self, direction: Direction) -> Decider:
        if direction not in self.deciders:
            self.deciders[direction] = (self.pool.decider(direction) if self.pool is not None
                                        else load_decider(direction))
        return self.deciders[direction]


def load_decider(direction: str) -> Decider:
    # Imported on first use: each direction's code loads its handlers.
    if direction == "outbound":
        from service.mail.outbound import process_outbound

        outbound: Decider = process_outbound
        return outbound
    from service.mail.inbound import process_inbound

    inbound: Decider = process_inbound
    return inbound


_gateway: Gateway | None = None


def install(gateway: Gateway) -> None:
    global _gateway  # libmilter builds the per-connection objects without arguments
    _gateway = gateway


def _milter_module() -> Any:
    try:
        import Milter
    except ImportError as exc:  # the `mail` extra is not installed
        from core.errors import ConfigurationError

        raise ConfigurationError("sekisho milter needs the mail extra: pip install "
                                 "'sekisho[mail]' (pymilter, built against libmilter-dev)"
                                 ) from exc
    return Milter


def _address(value: str) -> str:
    return value.strip().removeprefix("<").removesuffix(">").strip()


class _Message:
    """One message's envelope and content as it arrives."""

    def __init__(self, mail_from: str) -> None:
        self.mail_from = _address(mail_from)
        self.rcpt_to: list[str] = []
        self.headers: list[tuple[str, bytes]] = []
        self.body: list[bytes] = []
        self.size = 0

    def add(self, size: int) -> None:
        self.size += size

    def raw(self) -> bytes:
        lines = [name.encode("ascii", "replace") + b": " + _crlf(value) + b"\r\n"
                 for name, value in self.headers]
        return b"".join(lines) + b"\r\n" + b"".join(self.body)

    def header_texts(self) -> list[tuple[str, str]]:
        return [(name, value.decode("utf-8", "replace")) for name, value in self.headers]


def _crlf(value: bytes) -> bytes:
    return value.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def make_milter_class() -> type:
    """The Milter.Base subclass (built here so that importing this module needs no pymilter)."""
    Milter = _milter_module()

    class SekishoMilter(Milter.Base):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            self.client: str | None = None
            self.message: _Message | None = None

        def connect(self, hostname: str, family: int, hostaddr: Any) -> int:
            self.client = str(hostaddr[0] if isinstance(hostaddr, tuple) else hostaddr)
            return Milter.CONTINUE  # type: ignore[no-any-return]

        def envfrom(self, mailfrom: str, *params: str) -> int:
            self.message = _Message(mailfrom)
            return Milter.CONTINUE  # type: ignore[no-any-return]

        def envrcpt(self, to: str, *params: str) -> int:
            if self.message is not None:
                self.message.rcpt_to.append(_address(to))
            return Milter.CONTINUE  # type: ignore[no-any-return]

        def header(self, name: str, value: str) -> int:
            # Overridden so that the MTA sends the header fields at all (pymilter negotiates
            # away callbacks a subclass does not define); header_bytes below is what runs.
            return self.header_bytes(name, value.encode("utf-8", "surrogateescape"))

        def header_bytes(self, name: str, value: bytes) -> int:
            # The raw bytes: an 8-bit header must reach the decision as it was sent.
            return self._collect(lambda m: m.headers.append((name, value)),
                                 len(name) + len(value) + 4)

        def body(self, chunk: bytes) -> int:
            return self._collect(lambda m: m.body.append(chunk), len(chunk))

        def _collect(self, keep: Callable[[_Message], None], size: int) -> int:
            message = self.message
            if message is None:
                return Milter.CONTINUE  # type: ignore[no-any-return]
            message.add(size)
            if message.size > _gw().max_message_bytes:
                # What bad input gets: a clear answer, not a 64 MB message held in memory;
                # and, like every message, an exchange record.
                self._reply(TOO_BIG_CODE, TOO_BIG_STATUS, self._too_big(message))
                self.message = None
                return Milter.REJECT  # type: ignore[no-any-return]
            keep(message)
            return Milter.CONTINUE  # type: ignore[no-any-return]

        def eom(self) -> int:
            message, self.message = self.message, None
            if message is None:  # refused earlier (size) or no MAIL FROM
                return Milter.TEMPFAIL  # type: ignore[no-any-return]
            try:
                return self._finish(message)
            except Exception:
                # One message's failure: a 451 for it; the process keeps serving.
                log.exception("milter: the message could not be handled")
                self._reply_result(tempfail("一時的に処理できません",
                                            "the gateway failed; try again later"))
                return Milter.TEMPFAIL  # type: ignore[no-any-return]

        def data(self) -> int:
            # Asked for only so that the MTA waits for an answer at DATA. Without it,
            # Postfix sends the DATA macros and no command; its next small write (the
            # first header) then waits for our delayed ACK: 40 ms on every message
            # (bench.mail, strace).
            return Milter.CONTINUE  # type: ignore[no-any-return]

        def abort(self) -> int:
            self.message = None
            return Milter.CONTINUE  # type: ignore[no-any-return]

        def close(self) -> int:
            return Milter.CONTINUE  # type: ignore[no-any-return]

        def _finish(self, message: _Message) -> int:
            gw = _gw()
            direction = choose_direction(gw.direction, message.mail_from, gw.internal_domains)
            envelope = Envelope(message.mail_from, tuple(message.rcpt_to), self.client)
            raw = message.raw()
            started = time.monotonic()
            result = decide_in_time(gw.decider(direction), gw.rt, raw, envelope, gw.policy)
            decided_ms = (time.monotonic() - started) * 1000
            if result.decision in ("rewrite", "pass") and result.notifications:
                sent = send_notifications(gw.relay, result.notifications)
                if sent.error is not None:
                    # The sender must get the password, or the message must not go.
                    result = tempfail("通知を送信できないため一時的に受け付けません",
                                      "the password notification could not be sent; "
                                      "try again later",
                                      reasons=[*result.reasons,
                                               {"code": "notification_failed",
                                                "ref": "issue 7 item 3"}],
                                      record_id=result.record_id)
            log.info("milter: %s %s -> %s (record %s, decided in %.0f ms)", direction,
                     envelope.mail_from, result.decision, result.record_id, decided_ms)
            return self._apply(message, result)

        def _apply(self, message: _Message, result: MailResult) -> int:
            if result.decision in ("reject", "tempfail"):
                self._reply_result(result)
                return (Milter.REJECT if result.decision == "reject"  # type: ignore[no-any-return]
                        else Milter.TEMPFAIL)
            original = message.header_texts()
            edits = spoofed_header_deletions(original)
            # "pass" may carry a message too: attachments with their metadata stripped
            # (issue 7, item 3); only "pass" with no message leaves the original as it is.
            if result.message is not None:
                new_headers, new_body = split_message(result.message)
                edits += header_edits(original, new_headers)
                for start in range(0, max(len(new_body), 1), REPLACEBODY_CHUNK):
                    self.replacebody(new_body[start:start + REPLACEBODY_CHUNK])
            for edit in edits:
                if edit.index:
                    self.chgheader(edit.name, edit.index, edit.value)
                else:
                    self.addheader(edit.name, edit.value)
            for name, value in result.add_headers:
                self.addheader(name, value.replace("\r", "").replace("\n", " "))
            return Milter.ACCEPT  # type: ignore[no-any-return]

        def _too_big(self, message: _Message) -> MailResult:
            gw = _gw()
            refusal = _too_big(message)
            direction = choose_direction(gw.direction, message.mail_from, gw.internal_domains)
            record_id = record_unread_refusal(
                gw.rt, direction, Envelope(message.mail_from, tuple(message.rcpt_to),
                                           self.client),
                outcome="reject", reasons=list(refusal.reasons))
            log.info("milter: %s %s -> reject, too large (record %s)", direction,
                     message.mail_from, record_id)
            return replace(refusal, record_id=record_id)

        def _reply_result(self, result: MailResult) -> None:
            if result.decision == "reject":
                code = result.smtp_code if 500 <= result.smtp_code < 600 else REJECT_CODE
                status = result.smtp_status if result.smtp_status.startswith("5.") \
                    else REJECT_STATUS
            else:  # anything that is not a refusal or an acceptance is a temporary failure
                code = result.smtp_code if 400 <= result.smtp_code < 500 else TEMPFAIL_CODE
                status = result.smtp_status if result.smtp_status.startswith("4.") \
                    else TEMPFAIL_STATUS
            self._reply(code, status, result)

        def _reply(self, code: int, status: str, result: MailResult) -> None:
            try:
                self.setreply(str(code), status, *reply_lines(result))
            except Exception:  # the MTA's own default text still carries the code
                log.exception("milter: setreply failed")

    return SekishoMilter


def _too_big(message: _Message) -> MailResult:
    limit = _gw().max_message_bytes
    return MailResult("reject", TOO_BIG_CODE, TOO_BIG_STATUS,
                      f"メールの大きさが上限({limit}バイト)を超えています",
                      f"the message is larger than the gateway accepts ({limit} bytes)",
                      reasons=[{"rule": "message_too_large", "outcome": "deny",
                                "ref": "issue 7 (bad input)",
                                "message": f"larger than {limit} bytes: not read"}])


def _gw() -> Gateway:
    if _gateway is None:
        raise RuntimeError("the milter gateway is not installed")
    return _gateway


def build_gateway(rt: Runtime, *, direction: str, max_message_bytes: int,
                  relay: Relay, workers: int = 0) -> Gateway:
    profile = rt.profile(None)
    return Gateway(rt=rt, direction=direction, max_message_bytes=max_message_bytes,
                   relay=relay, policy=FailurePolicy.of(profile),
                   internal_domains=tuple(profile.document.handling.internal_domains),
                   pool=DecisionPool(workers) if workers > 0 else None)


def _import_before_threads() -> None:
    """Import what the callbacks use before libmilter starts its threads: a first import
    inside a callback thread, racing a decision thread that imports too, is where a stuck
    milter was seen under load (a hung import answers no SMTP client at all)."""
    import email.feedparser
    import email.headerregistry
    import email.policy  # noqa: F401

    import handlers.detect
    import handlers.labelling
    import handlers.mail.structure  # noqa: F401


def serve(gateway: Gateway, socket: str, socket_mode: int = DEFAULT_SOCKET_MODE) -> int:
    """Run libmilter's loop on ``socket`` (inet:PORT@HOST or unix:/path) until stopped;
    a unix socket gets ``socket_mode``."""
    Milter = _milter_module()
    _import_before_threads()
    if gateway.pool is not None:
        log.info("%d decision worker(s) ready", gateway.pool.start())
    install(gateway)
    Milter.factory = make_milter_class()
    log.info("sekisho milter on %s (direction %s, timeout %.0f s)", socket,
             gateway.direction, gateway.policy.timeout_seconds)
    print(f"sekisho milter listening on {socket}", flush=True)
    try:
        with tuned_listener(Milter, socket, socket_mode):
            Milter.runmilter(NAME, socket,
                             int(gateway.policy.timeout_seconds) + MTA_TIMEOUT_MARGIN)
    finally:  # stopped (SIGTERM): the decision workers go with the milter
        if gateway.pool is not None:
            gateway.pool.shutdown()
    return 0


def cmd_milter(args: argparse.Namespace) -> int:
    from service.runtime import build_runtime

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    relay = Relay.from_env(os.environ, args.relay)
    workers = args.workers if args.workers is not None else int(
        os.environ.get("SEKISHO_MILTER_WORKERS") or os.cpu_count() or 1)
    gateway = build_gateway(build_runtime(), direction=args.direction,
                            max_message_bytes=args.max_message_bytes or _max_mail_bytes(),
                            relay=relay, workers=workers)
    return serve(gateway, args.socket or os.environ.get("SEKISHO_MILTER_SOCKET")
                 or DEFAULT_SOCKET,
                 socket_mode(args.socket_mode or os.environ.get("SEKISHO_MILTER_SOCKET_MODE")))


def _max_mail_bytes() -> int:
    # The extractor's bound: a message the classifier reads is one the gateway accepts.
    from handlers.extract.limits import MAX_MAIL_BYTES

    return MAX_MAIL_BYTES



def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("milter", help="the mail gateway for Postfix/Sendmail (issue 7)")
    p.add_argument("--socket", help="inet:PORT@HOST or unix:/path "
                   f"(default SEKISHO_MILTER_SOCKET or {DEFAULT_SOCKET})")
    p.add_argument("--socket-mode", help="permissions of a unix socket, octal (default "
                   f"SEKISHO_MILTER_SOCKET_MODE or {DEFAULT_SOCKET_MODE:04o}: the MTA's user "
                   "must be in the milter's group)")
    p.add_argument("--direction", choices=["auto", "outbound", "inbound"], default="auto",
                   help="auto: a sender in the profile's internal domains is outbound")
    p.add_argument("--max-message-bytes", type=int,
                   help="larger messages are refused with 552 5.3.4 (default: the mail "
                   "extractor's limit, 64 MiB)")
    p.add_argument("--workers", type=int,
                   help="decision processes (default SEKISHO_MILTER_WORKERS or one per CPU; "
                   "0: decide in the milter process itself)")
    p.add_argument("--relay", help="host:port for notifications; must not pass through "
                   "this milter (default SEKISHO_SMTP_RELAY or 127.0.0.1:25)")
    p.set_defaults(func=cmd_milter)
