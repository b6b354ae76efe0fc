"""Notifications the gateway sends itself, through a relay (issue 7, item 3): the password
of an encrypted attachment goes to the SENDER in a message of its own, never in the
recipient's flow (PPAP abolished).

The relay (``SEKISHO_SMTP_RELAY``, host:port) must not pass the notice through this milter
again: in Postfix, an smtpd port with ``smtpd_milters=`` empty. A password must not cross a
network in clear text, so a relay that is not on this host is reached with STARTTLS and a
verified certificate, and credentials are only ever sent inside TLS (or to this host).

``SEKISHO_SMTP_RELAY_TLS``:

- ``auto`` (default): STARTTLS, verified, when the relay is not a loopback address; plain
  SMTP to a relay on this host (the notice never leaves it);
- ``required``: STARTTLS, verified, whatever the address;
- ``off``: never STARTTLS (refused together with credentials, and for a remote relay).

``SEKISHO_SMTP_RELAY_CA`` names a CA bundle for a private CA; ``SEKISHO_SMTP_RELAY_USER``
and ``SEKISHO_SMTP_RELAY_PASSWORD_FILE`` (a file, so that the password is not in the
process environment) turn on SMTP AUTH.
"""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Literal, cast

from core.errors import ConfigurationError
from service.mail.result import Notification

log = logging.getLogger("sekisho.milter")

TlsMode = Literal["auto", "required", "off"]
TLS_MODES: tuple[TlsMode, ...] = ("auto", "required", "off")
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


@dataclass(frozen=True)
class Relay:
    """Where notifications go, and how they get there."""

    host: str = "127.0.0.1"
    port: int = 25
    sender: str = ""  # "" = the null sender: a notification never bounces back
    timeout: float = 30.0
    tls: TlsMode = "auto"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None

    def __post_init__(self) -> None:
        if self.tls not in TLS_MODES:
            raise ConfigurationError(f"SEKISHO_SMTP_RELAY_TLS must be one of "
                                     f"{', '.join(TLS_MODES)}, not {self.tls!r}")
        if self.tls == "off" and not self.on_this_host:
            raise ConfigurationError(
                f"the relay {self.host} is not on this host: password notices would cross "
                "the network in clear text (SEKISHO_SMTP_RELAY_TLS=off refused)")
        if self.tls == "off" and self.username:
            raise ConfigurationError("relay credentials are only sent inside TLS "
                                     "(SEKISHO_SMTP_RELAY_TLS=off with a user refused)")
        if bool(self.username) != (self.password is not None):
            raise ConfigurationError("SEKISHO_SMTP_RELAY_USER and "
                                     "SEKISHO_SMTP_RELAY_PASSWORD_FILE go together")

    @classmethod
    def parse(cls, text: str | None, sender: str = "", **options: object) -> Relay:
        """``host:port``, ``[v6]:port`` or ``host``; the other fields as keywords."""
        if not text:
            return cls(sender=sender, **options)  # type: ignore[arg-type]
        host, _, port = text.rpartition(":")
        if not host or (host.endswith(":") and not host.startswith("[")):  # bare host / IPv6
            return cls(host=text.strip("[]"), sender=sender, **options)  # type: ignore[arg-type]
        try:
            number = int(port)
        except ValueError as exc:
            raise ConfigurationError(f"SEKISHO_SMTP_RELAY: {text!r} is not host:port") from exc
        return cls(host=host.strip("[]"), port=number, sender=sender,
                   **options)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str], address: str | None = None) -> Relay:
        """The relay the deployment configured (``address`` overrides SEKISHO_SMTP_RELAY)."""
        password_file = env.get("SEKISHO_SMTP_RELAY_PASSWORD_FILE")
        password = None
        if password_file:
            try:
                password = Path(password_file).read_text(encoding="utf-8").strip("\r\n")
            except OSError as exc:
                raise ConfigurationError(f"SEKISHO_SMTP_RELAY_PASSWORD_FILE cannot be read: "
                                         f"{exc.strerror}") from exc
        return cls.parse(address or env.get("SEKISHO_SMTP_RELAY"),
                         sender=env.get("SEKISHO_MILTER_NOTIFY_FROM", ""),
                         tls=cast(TlsMode, env.get("SEKISHO_SMTP_RELAY_TLS") or "auto"),
                         username=env.get("SEKISHO_SMTP_RELAY_USER") or None,
                         password=password, ca_file=env.get("SEKISHO_SMTP_RELAY_CA") or None)

    @property
    def on_this_host(self) -> bool:
        if self.host.lower() in LOOPBACK_NAMES:
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @property
    def needs_tls(self) -> bool:
        return self.tls == "required" or (self.tls == "auto" and not self.on_this_host)

    def tls_context(self) -> ssl.SSLContext:
        """Certificate and host name verified (the host as configured is the name)."""
        context = ssl.create_default_context(cafile=self.ca_file)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context


@dataclass
class NotificationOutcome:
    sent: list[str] = field(default_factory=list)
    error: str | None = None


def send_notifications(relay: Relay, notifications: Sequence[Notification]) -> NotificationOutcome:
    """Send each notification as its own message. The first failure stops: the caller then
    fails the original message (the sender must get the password, or the message must not
    go)."""
    outcome = NotificationOutcome()
    if not notifications:
        return outcome
    try:
        with smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout) as smtp:
            _secure(smtp, relay)
            for note in notifications:
                smtp.send_message(_notice(relay, note), from_addr=relay.sender,
                                  to_addrs=[note.to])
                outcome.sent.append(note.to)
    except (OSError, smtplib.SMTPException) as exc:  # ssl.SSLError is an OSError
        outcome.error = f"{type(exc).__name__}: {exc}"
        log.error("notification not sent: %s", outcome.error)
    return outcome


def _secure(smtp: smtplib.SMTP, relay: Relay) -> None:
    smtp.ehlo()
    if relay.needs_tls:
        if not smtp.has_extn("starttls"):
            raise smtplib.SMTPNotSupportedError(
                f"the relay {relay.host} offers no STARTTLS; a password notice is not sent "
                "in clear text")
        smtp.starttls(context=relay.tls_context())
        smtp.ehlo()
    if relay.username and relay.password is not None:
        smtp.login(relay.username, relay.password)


def _notice(relay: Relay, note: Notification) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = relay.sender or "MAILER-DAEMON"
    msg["To"] = note.to
    msg["Subject"] = note.subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid("sekisho")
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies
    msg.set_content(note.body)
    return msg
