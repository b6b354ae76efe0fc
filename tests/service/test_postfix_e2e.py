"""A real MTA (issue 7, item 6): a private Postfix on loopback calls the real ``sekisho milter``
process (real decision code, real database, real sanitiser); messages are sent with smtplib
and what was delivered is read from the Maildir.

- a 機密性3 (極秘) attachment to an external recipient is refused: 550 naming the attachment;
- a 機密性2 attachment (Saitama) arrives as an encrypted package, and the sender receives the
  password in a separate notification;
- an inbound HTML mail with a macro DOCX arrives as text, the macro removed.
"""

from __future__ import annotations

import base64
import email
import email.policy
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import EmailMessage
from io import BytesIO
from pathlib import Path

import pytest

from tests.fixtures.mailgen import make_eml
from tests.fixtures.milterproc import milter_process
from tests.fixtures.officegen import make_docx
from tests.fixtures.postfix import (
    PostfixInstance,
    free_port,
    postfix_unavailable,
    running_postfix,
)

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SENDER = "yamada@police.pref.saitama.lg.jp"
EXTERNAL = "tanaka@example.co.jp"
INTERNAL = "suzuki@police.pref.saitama.lg.jp"

if reason := postfix_unavailable():
    pytest.skip(reason, allow_module_level=True)
pytest.importorskip("Milter", reason="pymilter (the `mail` extra) is not installed")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostfixInstance]:
    """The milter process (the real ``sekisho milter`` command) and Postfix around it."""
    tmp = tmp_path_factory.mktemp("gateway")
    milter_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEKISHO_")}
    env.update(SEKISHO_DATA_DIR=str(tmp / "var"), SEKISHO_PROFILE="saitama-police-2023",
               SEKISHO_NER="0", PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "service.cli", "init", "--quiet"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    with running_postfix(milter_port) as postfix:
        env["SEKISHO_SMTP_RELAY"] = f"127.0.0.1:{postfix.plain_port}"
        command = [sys.executable, "-m", "service.cli", "milter", "--socket",
                   f"inet:{milter_port}@127.0.0.1"]
        try:
            with milter_process(command, env, milter_port, tmp / "milter.log"):
                yield postfix
        finally:
            print((tmp / "milter.log").read_text(errors="replace")[-4000:])


def send(postfix: PostfixInstance, sender: str, recipients: list[str], raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", postfix.port, timeout=300) as smtp:
        smtp.sendmail(sender, recipients, raw)


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def assert_well_formed(message: EmailMessage) -> None:
    """The header edits left one of each MIME header and one gateway decision."""
    for name in ("Content-Type", "MIME-Version", "X-Sekisho-Decision"):
        assert len(message.get_all(name) or []) == 1, (name, message.items())
    assert not message.defects, message.defects


def attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    return [(part.get_filename() or "", part.get_payload(decode=True))
            for part in message.iter_attachments()]


def test_c3_attachment_to_external_recipient_is_refused(gateway: PostfixInstance) -> None:
    docx = make_docx(["極秘", "捜査資料：被疑者の所在について"])
    raw = make_eml("資料を送ります。", from_address=SENDER, to=EXTERNAL,
                   attachments=[("secret-report.docx", "application/vnd.openxmlformats-"
                                 "officedocument.wordprocessingml.document", docx)])
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(gateway, SENDER, [EXTERNAL], raw)
    code, text = refused.value.smtp_code, refused.value.smtp_error.decode()
    assert code == 550, text
    assert text.startswith("5.7.1") and "secret-report.docx" in text, text
    # The Japanese explanation travels base64-encoded on its own lines.
    japanese = base64.b64decode("".join(
        line.split("ja-utf8-base64: ", 1)[1] for line in text.splitlines()
        if "ja-utf8-base64: " in line)).decode()
    assert "secret-report.docx" in japanese
    assert gateway.delivered(EXTERNAL) == [] or all(
        b"secret-report" not in m for m in gateway.delivered(EXTERNAL))


def test_c2_attachment_arrives_encrypted_and_sender_gets_password(
        gateway: PostfixInstance) -> None:
    docx = make_docx(["機密性2", "会議資料：来週の打合せ日程"])
    raw = make_eml("打合せ資料です。", subject="打合せ資料", from_address=SENDER,
                   to=EXTERNAL, attachments=[("meeting.docx", "application/vnd."
                                              "openxmlformats-officedocument."
                                              "wordprocessingml.document", docx)])
    before = len(gateway.delivered(EXTERNAL))
    send(gateway, SENDER, [EXTERNAL], raw)
    delivered = parsed(gateway.wait_for(EXTERNAL, before + 1)[-1])
    assert delivered["X-Sekisho-Decision"].startswith("rewrite"), delivered.as_string()[:2000]
    assert_well_formed(delivered)
    files = attachments(delivered)
    assert files, delivered.as_string()[:2000]
    # The original document is not in the delivered message, in any form.
    assert all(data != docx for _, data in files)
    assert not any(name == "meeting.docx" for name, _ in files)
    for _, data in files:
        assert "会議資料".encode() not in data
        if data.startswith(b"PK"):  # a zip-based container must not hold a readable DOCX
            names = zipfile.ZipFile(BytesIO(data)).namelist()
            assert "word/document.xml" not in names
    # The password went to the sender, separately; never to the recipient.
    notice = parsed(gateway.wait_for(SENDER, 1)[-1])
    assert EXTERNAL not in (notice["To"] or "")
    body = notice.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().strip()
    assert str(make_header(decode_header(notice["Subject"] or "")))


def test_unrestricted_attachment_passes_with_its_metadata_stripped(
        gateway: PostfixInstance) -> None:
    """Pass with metadata stripped (item 3): what arrives is the cleaned, labelled file,
    never the original with its author and company."""
    docx = make_docx(["来週の打合せ日程のご連絡"], author="山田太郎", company="埼玉県警察本部")
    raw = make_eml("日程のご連絡です。", subject="日程", from_address=SENDER, to=EXTERNAL,
                   attachments=[("schedule.docx", "application/vnd.openxmlformats-"
                                 "officedocument.wordprocessingml.document", docx)])
    before = len(gateway.delivered(EXTERNAL))
    send(gateway, SENDER, [EXTERNAL], raw)
    delivered = parsed(gateway.wait_for(EXTERNAL, before + 1)[-1])
    assert delivered["X-Sekisho-Decision"] == "pass", delivered.as_string()[:2000]
    assert_well_formed(delivered)
    [(name, data)] = attachments(delivered)
    assert name.endswith(".docx") and data != docx
    members = zipfile.ZipFile(BytesIO(data))
    properties = b"".join(members.read(n) for n in members.namelist()
                          if n.startswith("docProps/"))
    assert "山田太郎".encode() not in properties and "埼玉県警察本部".encode() not in properties
    assert b"Sekisho" in properties  # our label is what the properties carry now


def test_inbound_html_with_macro_docx_arrives_as_text_without_macro(
        gateway: PostfixInstance) -> None:
    docm = make_docx(["添付の手順書を確認してください"], macro=True)
    raw = make_eml("ご確認ください。", from_address="sender@example.co.jp", to=INTERNAL,
                   html='<p>ご確認ください <a href="https://evil.example/x">link</a>'
                        "<script>alert(1)</script></p>",
                   attachments=[("procedure.docm", "application/vnd.ms-word.document."
                                 "macroEnabled.12", docm)])
    send(gateway, "sender@example.co.jp", [INTERNAL], raw)
    delivered = parsed(gateway.wait_for(INTERNAL, 1)[-1])
    assert delivered["X-Sekisho-Decision"].startswith("rewrite"), delivered.as_string()[:2000]
    assert_well_formed(delivered)
    kinds = [part.get_content_type() for part in delivered.walk()
             if not part.is_multipart() and not part.get_filename()]
    assert kinds and set(kinds) == {"text/plain"}, kinds
    assert "<script>" not in delivered.as_string()
    files = attachments(delivered)
    assert len(files) == 1, [name for name, _ in files]
    name, data = files[0]
    assert not name.lower().endswith(".docm"), name
    if data.startswith(b"%PDF"):
        # Saitama's inbound mode is ``pdf``: the document arrives converted, nothing active.
        assert b"/JavaScript" not in data and b"/Launch" not in data
    else:  # structural mode: the same document without its VBA project
        names = zipfile.ZipFile(BytesIO(data)).namelist()
        assert not [n for n in names if "vbaProject" in n or n.endswith(".bin")], names


def test_milter_on_a_unix_socket_serves_postfix(tmp_path_factory: pytest.TempPathFactory
                                                ) -> None:
    """``unix:/path`` works as well as ``inet:`` (item 1), with the permissions asked for:
    Postfix's smtpd runs as ``postfix`` and must be able to connect."""
    tmp = tmp_path_factory.mktemp("unix-gateway")
    # Not under pytest's 0700 tmp: the postfix user must reach the socket.
    socket_dir = Path(tempfile.mkdtemp(prefix="sekisho-milter-"))
    socket_dir.chmod(0o755)
    sock = socket_dir / "milter.sock"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEKISHO_")}
    env.update(SEKISHO_DATA_DIR=str(tmp / "var"), SEKISHO_NER="0", PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "service.cli", "init", "--quiet"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    try:
        with running_postfix(0, milter_socket=f"unix:{sock}") as postfix:
            env["SEKISHO_SMTP_RELAY"] = f"127.0.0.1:{postfix.plain_port}"
            command = [sys.executable, "-m", "service.cli", "milter", "--socket",
                       f"unix:{sock}", "--socket-mode", "0666", "--workers", "1"]
            with milter_process(command, env, sock, tmp / "milter.log"):
                assert sock.stat().st_mode & 0o777 == 0o666
                send(postfix, SENDER, [INTERNAL],
                     make_eml("内部連絡です", subject="unix socket", from_address=SENDER,
                              to=INTERNAL))
                [delivered] = postfix.wait_for(INTERNAL)
                assert parsed(delivered)["X-Sekisho-Decision"] == "pass"
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)

