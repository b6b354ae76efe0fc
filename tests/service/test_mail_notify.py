"""Password notices through the relay (issue 7, item 3): a password never crosses the
network in clear text. A relay that is not on this host is reached with STARTTLS and a
verified certificate, credentials only ever go inside TLS, and a relay that cannot do that
gets nothing (the original message is then tempfailed by the milter)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from core.errors import ConfigurationError
from service.mail.notify import Relay, send_notifications
from service.mail.result import Notification
from tests.fixtures.postfix import free_port

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller",
                                          reason="aiosmtpd (the dev extra) is not installed")
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl (the CLI) is not "
                                   "installed: apt-get install -y openssl")
NOTE = Notification("sender@police.pref.saitama.lg.jp", "password", "パスワード: s3cret")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[bytes, bool, str | None]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        user = session.auth_data.login.decode() if session.auth_data else None
        self.messages.append((envelope.content, session.ssl is not None, user))
        return "250 OK"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                  auth_data: Any) -> AuthResult:
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == b"gateway"
          and auth_data.password == b"relay-secret")
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if OPENSSL is None:
        pytest.skip("openssl (the CLI) is not installed: apt-get install -y openssl")
    home = tmp_path_factory.mktemp("relay-tls")
    cert, key = home / "relay.pem", home / "relay.key"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def _server(inbox: Inbox, tls: tuple[Path, Path] | None) -> Any:
    context = None
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls)
    return aiosmtpd_controller.Controller(
        inbox, hostname="127.0.0.1", port=free_port(), tls_context=context,
        require_starttls=False, authenticator=_authenticate, auth_require_tls=True)


@contextmanager
def _running(tls: tuple[Path, Path] | None) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = _server(inbox, tls)
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture()
def tls_relay(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    with _running(certificate) as relay:
        yield relay


@pytest.fixture()
def plain_relay() -> Iterator[tuple[Inbox, int]]:
    with _running(None) as relay:
        yield relay


@needs_openssl
def test_starttls_verified_and_auth_inside_it(tls_relay: tuple[Inbox, int],
                                              certificate: tuple[Path, Path]) -> None:
    inbox, port = tls_relay
    relay = Relay("127.0.0.1", port, tls="required", username="gateway",
                  password="relay-secret", ca_file=str(certificate[0]), timeout=10)
    outcome = send_notifications(relay, [NOTE])
    assert outcome.error is None and outcome.sent == [NOTE.to]
    [(content, over_tls, user)] = inbox.messages
    assert over_tls and user == "gateway"
    assert b"Auto-Submitted: auto-generated" in content


@needs_openssl
def test_an_unverifiable_certificate_gets_nothing(tls_relay: tuple[Inbox, int]) -> None:
    inbox, port = tls_relay  # self-signed, and no CA file given: not trusted
    outcome = send_notifications(Relay("127.0.0.1", port, tls="required", timeout=10), [NOTE])
    assert outcome.error is not None and "CERTIFICATE_VERIFY_FAILED" in outcome.error
    assert outcome.sent == [] and inbox.messages == []


def test_a_relay_without_starttls_gets_no_password(plain_relay: tuple[Inbox, int]) -> None:
    inbox, port = plain_relay
    outcome = send_notifications(Relay("127.0.0.1", port, tls="required", timeout=10), [NOTE])
    assert outcome.error is not None and "STARTTLS" in outcome.error
    assert inbox.messages == []


def test_a_relay_on_this_host_may_be_plain(plain_relay: tuple[Inbox, int]) -> None:
    inbox, port = plain_relay
    outcome = send_notifications(Relay("127.0.0.1", port, timeout=10), [NOTE])
    assert outcome.error is None and len(inbox.messages) == 1
    assert inbox.messages[0][1] is False


@pytest.mark.parametrize(("host", "needs"), [
    ("127.0.0.1", False), ("::1", False), ("localhost", False),
    ("mail.example.jp", True), ("192.0.2.10", True), ("10.0.0.25", True),
])
def test_auto_needs_tls_off_this_host(host: str, needs: bool) -> None:
    assert Relay(host).needs_tls is needs


@pytest.mark.parametrize(("fields", "says"), [
    ({"host": "mail.example.jp", "tls": "off"}, "clear text"),
    ({"tls": "off", "username": "u", "password": "p"}, "inside TLS"),
    ({"username": "u"}, "go together"),
    ({"tls": "sometimes"}, "must be one of"),
])
def test_unsafe_settings_stop_the_start(fields: dict[str, Any], says: str) -> None:
    with pytest.raises(ConfigurationError, match=says):
        Relay(**fields)


def test_settings_from_the_environment(tmp_path: Path) -> None:
    secret = tmp_path / "relay.password"
    secret.write_text("relay-secret\n")
    relay = Relay.from_env({"SEKISHO_SMTP_RELAY": "[2001:db8::25]:587",
                            "SEKISHO_SMTP_RELAY_USER": "gateway",
                            "SEKISHO_SMTP_RELAY_PASSWORD_FILE": str(secret),
                            "SEKISHO_MILTER_NOTIFY_FROM": "sekisho@police.pref.saitama.lg.jp"})
    assert (relay.host, relay.port, relay.username, relay.password, relay.needs_tls) == (
        "2001:db8::25", 587, "gateway", "relay-secret", True)
    assert "relay-secret" not in repr(relay)
    with pytest.raises(ConfigurationError, match="cannot be read"):
        Relay.from_env({"SEKISHO_SMTP_RELAY_USER": "gateway",
                        "SEKISHO_SMTP_RELAY_PASSWORD_FILE": str(tmp_path / "missing")})
