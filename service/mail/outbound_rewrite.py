"""The message an outbound decision lets leave (service.mail.outbound): ``pass`` with the
attachments' metadata stripped (sanitised, labelled), or ``rewrite`` with them sent as one
encrypted package whose password goes to the sender alone (PPAP abolished)."""

from __future__ import annotations

import email.utils
import mimetypes
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

from core.errors import SekishoError
from core.handling import ExportDecision
from handlers import detect_content_type, write_label
from handlers.base import LabelStamp
from handlers.malware import scan_bytes
from handlers.sanitise import sanitise_file
from keys.export import ExportFormat
from keys.sign import load_or_create_signer
from service.export_package import Package, PackedFile, bundle_files, encrypt_content
from service.mail.analysis import MailAnalysis
from service.mail.outbound_classify import item_refusal
from service.mail.outbound_context import (
    BODY_ID,
    BODY_NAME,
    Context,
    Item,
    Outcome,
    sekisho_failure,
)
from service.mail.outbound_recipients import destination, recipient_key
from service.mail.result import Notification
from service.pipeline import isolation_limits, sanitise_settings

ENCRYPTED_NOTICE = (
    "\n\n----\n[sekisho] 添付ファイルは規程により暗号化しました。開封用のパスワード等は送信者から"
    "別の経路でお知らせします。\n[sekisho] The attachments were encrypted as the policy "
    "requires; the sender will give you the password by another channel.\n")


# -- pass: metadata stripped ---------------------------------------------------------------


def stripped(ctx: Context, reasons: list[dict[str, Any]], *, bcc_rewrite: bool) -> Outcome:
    analysis = ctx.analysis
    assert analysis is not None
    message = analysis.message
    attachments = [i for i in ctx.items if i.part is not None]
    for item in attachments:
        assert item.part is not None
        data, mime, name = sanitised(ctx, item)
        maintype, _, subtype = mime.partition("/")
        item.part.part.set_content(data, maintype, subtype or "octet-stream",  # type: ignore[attr-defined]
                                   disposition="attachment", filename=name)
    if bcc_rewrite:
        hide_external(ctx, message)
    note = {"rule": "metadata_stripped", "outcome": "allow", "ref": "issue 7, item 3",
            "message": "添付ファイルのメタデータを除去した (無害化・ラベル付与)",
            "message_en": "only metadata changed: attachments sanitised and labelled"}
    changed = bool(attachments) or bcc_rewrite
    decision = "rewrite" if bcc_rewrite else "pass"
    return Outcome(decision, [*reasons, note] if attachments else reasons,
                   serialise(message) if changed else None)


def sanitised(ctx: Context, item: Item) -> tuple[bytes, str, str]:
    """Scanned, sanitised (the profile's outbound mode for its label) and labelled."""
    rt, profile = ctx.rt, ctx.profile
    try:
        scan_bytes(item.data, rt.settings.clamd)
        policy = profile.sanitise_policy("outbound", item.label)
        result = sanitise_file(item.data, item.mime, sanitise_settings(policy),
                               filename=item.name, limits=isolation_limits(rt.settings))
        stamp = LabelStamp(item.label.to_dict(), visible=profile.stamp_text(item.label),
                           file_prefix=profile.file_prefix(item.label))
        data = write_label(result.data, result.mime, stamp)
    except SekishoError as exc:
        if sekisho_failure(exc):
            raise
        raise item_refusal(item.name, exc) from exc
    return data, result.mime, _renamed(item.name, item.mime, result.mime)


def _renamed(name: str, before: str, after: str) -> str:
    if before == after:
        return name
    suffix = mimetypes.guess_extension(after) or ""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return stem + suffix


def hide_external(ctx: Context, message: EmailMessage) -> None:
    """External addresses leave To/Cc (the envelope keeps them): Bcc (XFR-07)."""
    for header in ("To", "Cc"):
        values = message.get_all(header) or []
        if not values:
            continue
        kept = [(n, a) for n, a in email.utils.getaddresses([str(v) for v in values])
                if a and destination(ctx, a.lower()) == "internal"]
        del message[header]
        if kept:
            message[header] = ", ".join(email.utils.formataddr(p) for p in kept)
        elif header == "To":
            message[header] = "undisclosed-recipients:;"
    del message["Bcc"]


def serialise(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=SMTP)


# -- rewrite: encrypted --------------------------------------------------------------------


def encrypted(ctx: Context, decisions: dict[str, ExportDecision],
               reasons: list[dict[str, Any]], *, bcc_rewrite: bool) -> Outcome:
    analysis = ctx.analysis
    assert analysis is not None
    encrypted_ids = {d for dec in decisions.values() for r in dec.reasons
                     if r.outcome == "encrypt" for d in r.documents}
    body_sealed = BODY_ID in encrypted_ids
    files = []
    for item in ctx.items:
        if item.part is not None:
            data, _mime, name = sanitised(ctx, item)
            files.append((name, data))
    body_text = analysis.body_text
    if body_sealed:  # the body itself needs protection: it travels inside the package
        files.insert(0, (f"{BODY_NAME}.txt", body_text.encode("utf-8")))
        body_text = ("[sekisho] 本文は暗号化した添付ファイルに格納しました。/ "
                     "The body is inside the encrypted attachment.")
    sign = any(d.sign for d in decisions.values())
    sealed = _seal(ctx, files, sign) if files else None
    message = _rebuilt(ctx, analysis, body_text + (ENCRYPTED_NOTICE if sealed else ""), sealed)
    if bcc_rewrite:
        hide_external(ctx, message)
    notifications = [_password_notice(ctx, sealed)] if sealed and sealed.password else []
    note = {"rule": "encrypted", "outcome": "encrypt", "ref": "issue 7, item 3",
            "message": "添付ファイルを無害化・ラベル付与の上暗号化した"
                       + ("。パスワードは送信者へ別途通知" if notifications else ""),
            "message_en": f"attachments sanitised, labelled and encrypted "
                          f"({sealed.format if sealed else 'none'})"
                          + ("; the password went to the sender" if notifications else "")}
    return Outcome("rewrite", [*reasons, note], serialise(message), notifications)


def _seal(ctx: Context, files: list[tuple[str, bytes]], sign: bool) -> Package:
    """The attachments as one encrypted package, built like an export's (one ZIP inside the
    encryption for several files)."""
    packed = [PackedFile("", name, data, detect_content_type(data, name).mime)
              for name, data in files]
    content = bundle_files(packed, "attachments.zip")
    # CMS is made for one recipient's key; several external recipients share a password.
    recipient = recipient_key(ctx.rt, ctx.external[0]) if len(ctx.external) == 1 else None
    fmt = (ExportFormat.CMS if recipient is not None else
           ExportFormat.PDF if content.content_type == "application/pdf" else
           ExportFormat.SEALED)
    signer = load_or_create_signer(ctx.rt.settings.kek_dir, ctx.rt.kek) if sign else None
    return encrypt_content(ctx.rt, content, fmt, recipient, signer)


KEPT_HEADERS = ("From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To",
                "In-Reply-To", "References", "Sender")


def _rebuilt(ctx: Context, analysis: MailAnalysis, body: str,
             sealed: Package | None) -> EmailMessage:
    """A new message: the original's addressing headers, a text body, the package."""
    message = EmailMessage()
    for name in KEPT_HEADERS:
        for value in analysis.message.get_all(name) or []:
            message[name] = str(value)
    message.set_content(body, charset="utf-8")
    if sealed is not None:
        maintype, _, subtype = sealed.content_type.partition("/")
        message.add_attachment(sealed.data, maintype=maintype, subtype=subtype,
                               filename=sealed.name)
        if sealed.signature is not None:  # integrity 2: a detached CMS signature (第6 1(5))
            message.add_attachment(sealed.signature, maintype="application",
                                   subtype="pkcs7-signature", filename=sealed.name + ".p7s")
    return message


def _password_notice(ctx: Context, sealed: Package) -> Notification:
    """The password goes to the SENDER only, in a separate message (PPAP abolished)."""
    sender = ctx.envelope.mail_from or ""
    subject = "[sekisho] 暗号化した添付ファイルのパスワード / password of the encrypted attachment"
    body = (f"送信したメールの添付ファイルは暗号化しました ({sealed.format})。\n"
            f"件名: {ctx.analysis.subject if ctx.analysis else ''}\n"
            f"宛先: {', '.join(ctx.external)}\n"
            f"添付ファイル: {sealed.name}\n"
            f"パスワード: {sealed.password}\n\n"
            "パスワードは受信者へ別の経路 (電話等) で伝えてください。"
            "このメールを転送しないでください。\n"
            "Give the password to the recipient by another channel (e.g. telephone); "
            "do not forward this message.\n")
    return Notification(sender, subject, body)
