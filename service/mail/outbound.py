"""Outbound mail (issue 7, item 3): no attachment leaves in breach of its label.

For every external recipient the body and each attachment are classified (and labels
already in the files read), and the same policy engine as ``POST /v1/exports`` decides
(core.handling.decide_export, method ``email``); the strictest answer over the recipients
decides for the message:

- deny, or an approval not recorded -> ``reject`` (550 5.7.1, Japanese and English, naming
  the attachment and the rule). Under every profile a 機密性3 attachment to an external
  recipient without a recorded approval is refused (Saitama 第3 5(4); XFR-01);
- encryption required -> ``rewrite``: the attachments are sanitised, labelled and sent as one
  encrypted package (CMS for a recipient whose certificate is known, else PDF AES-256 or a
  sealed package) whose password goes to the SENDER in a separate notification, never into
  the message (Saitama 第8 1(3)キ; PPAP abolished); signed when integrity 2 (第6 1(5));
- allow -> ``pass`` with the attachments' metadata stripped (sanitised, labelled).

Many external recipients in To/Cc follow the profile (Saitama 第8 1(3)ク: Bcc). Every message
writes an exchange record (Ishikawa 第12(6)). What sekisho fails at itself is a ``tempfail``
(4xx), never a pass (issue 7, item 5).
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import (
    ContentRejected,
    ConverterUnavailable,
    ProcessingTimeout,
    ResourceLimitExceeded,
    SekishoError,
    UnsupportedContent,
)
from core.handling import (
    DocumentFacts,
    ExportContext,
    ExportDecision,
    Reason,
    Recipient,
    Requester,
    decide_export,
    destination_of,
)
from core.handling.engine import bundle_label
from core.labels import Axis, Confidentiality, Label
from core.profiles import Profile
from handlers import detect_content_type, read_label, write_label
from handlers.base import LabelStamp
from handlers.malware import scan_bytes
from handlers.sanitise import sanitise_file
from keys.export import ExportFormat, parse_recipient
from keys.export import Recipient as KeyRecipient
from keys.sign import load_or_create_signer
from service import approvals
from service.exchange import record_exchange
from service.export_package import Package, PackedFile, bundle_files, encrypt_content
from service.mail.analysis import MailAnalysis, MailLimits, MailPart, MailRefused, analyse
from service.mail.result import (
    ACCEPT_CODE,
    ACCEPT_STATUS,
    REJECT_CODE,
    REJECT_STATUS,
    Decision,
    Envelope,
    MailResult,
    Notification,
    tempfail,
)
from service.models import Document, ExchangeRecord, Export
from service.pipeline import isolation_limits, read_and_classify, sanitise_settings
from service.runtime import Runtime

log = logging.getLogger("sekisho.mail")

SOURCE = "mail_outbound"
BODY_ID, BODY_NAME = "body", "本文"
# An export in one of these states has every approval it needs (service.exports).
GRANTED_EXPORT_STATES = ("approved", "ready", "delivered", "confirmed")
C3_RULE, C3_REF = "mail_c3_external", "XFR-01 (issue 7: 機密性3 to an external recipient)"
MAX_LINE_BYTES = 480  # RFC 5321 4.5.3.1.5: a reply line is at most 512 octets
ENCRYPTED_NOTICE = (
    "\n\n----\n[sekisho] 添付ファイルは規程により暗号化しました。開封用のパスワード等は送信者から"
    "別の経路でお知らせします。\n[sekisho] The attachments were encrypted as the policy "
    "requires; the sender will give you the password by another channel.\n")


def _sekisho_failure(exc: SekishoError) -> bool:
    """sekisho's own failure (4xx) rather than a refusal of the content (5xx)."""
    if isinstance(exc, ProcessingTimeout | ResourceLimitExceeded | ConverterUnavailable):
        return True
    return not isinstance(exc, ContentRejected | UnsupportedContent)


@dataclass
class Item:
    """The body (a pseudo-document "本文") or one attachment, classified."""

    id: str
    name: str
    data: bytes = field(repr=False)
    mime: str
    label: Label
    part: MailPart | None = None
    existing_label: dict[str, Any] | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def entry(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": len(self.data),
                "label": self.label.to_dict()}


class Refusal(Exception):
    """A policy answer that ends processing with a 5xx (caught in process_outbound)."""

    def __init__(self, ja: str, en: str, reasons: list[dict[str, Any]],
                 status: str = REJECT_STATUS) -> None:
        super().__init__(en)
        self.ja, self.en, self.reasons, self.status = ja, en, reasons, status


@dataclass
class Outcome:
    decision: str
    reasons: list[dict[str, Any]]
    message: bytes | None = None
    notifications: list[Notification] = field(default_factory=list)
    ja: str = ""
    en: str = ""


@dataclass
class Context:
    rt: Runtime
    profile: Profile
    envelope: Envelope
    analysis: MailAnalysis | None = None
    recipients: tuple[str, ...] = ()
    external: tuple[str, ...] = ()
    items: list[Item] = field(default_factory=list)


# -- entry point ---------------------------------------------------------------------------


def process_outbound(rt: Runtime, raw: bytes, envelope: Envelope) -> MailResult:
    """Decide one outbound message; never raises (a failure is a tempfail, never a pass)."""
    try:
        ctx = Context(rt, rt.profile(None), envelope)
    except Exception as exc:  # no profile, no decision: fail closed
        log.exception("outbound mail: the deployment profile cannot be loaded")
        return tempfail("sekisho が判定できなかったため一時的に受け付けません。後で再送されます。",
                        "sekisho could not decide; try again later",
                        reasons=[_failure_reason(exc)],
                        add_headers=[("X-Sekisho-Decision", "tempfail")])
    try:
        outcome = _decide(ctx, raw)
    except Refusal as refusal:
        outcome = Outcome("reject", refusal.reasons, ja=refusal.ja, en=refusal.en)
        return _finish(ctx, outcome, REJECT_CODE, refusal.status)
    except Exception as exc:  # fail closed: any failure of ours keeps the message queued
        log.exception("outbound mail: deciding failed")
        return _tempfail(ctx, exc)
    code, status = ((REJECT_CODE, REJECT_STATUS) if outcome.decision == "reject"
                    else (ACCEPT_CODE, ACCEPT_STATUS))
    return _finish(ctx, outcome, code, status)


def _finish(ctx: Context, outcome: Outcome, code: int, status: str) -> MailResult:
    try:
        record_id = _record(ctx, outcome)
    except Exception as exc:  # no record, no decision: every message writes one (第12(6))
        log.exception("outbound mail: writing the exchange record failed")
        return _tempfail(ctx, exc, record=False)
    return MailResult(cast(Decision, outcome.decision), code, status, _line(outcome.ja),
                      _line(outcome.en),
                      outcome.reasons, outcome.message,
                      _headers(ctx, outcome.decision, record_id), record_id,
                      outcome.notifications)


def _failure_reason(exc: BaseException) -> dict[str, Any]:
    return {"rule": "gateway_failure", "outcome": "tempfail",
            "ref": "issue 7, item 5 (fail closed)",
            "message": "sekisho could not decide: the message stays with the sender's MTA "
                       "and is retried", "error": getattr(exc, "code", type(exc).__name__)}


def _tempfail(ctx: Context, exc: BaseException, *, record: bool = True) -> MailResult:
    reasons = [_failure_reason(exc)]
    record_id = None
    if record:
        try:
            record_id = _record(ctx, Outcome("tempfail", reasons))
        except Exception:
            log.exception("outbound mail: the tempfail record could not be written either")
    return tempfail("sekisho が判定できなかったため一時的に受け付けません。後で再送されます。",
                    "sekisho could not decide; try again later", reasons=reasons,
                    record_id=record_id,
                    add_headers=_headers(ctx, "tempfail", record_id))


# -- the decision --------------------------------------------------------------------------


def _decide(ctx: Context, raw: bytes) -> Outcome:
    try:
        ctx.analysis = analyse(raw, mail_limits(ctx.rt))
    except MailRefused as exc:
        raise Refusal(f"メッセージを受け付けられません: {exc.message} ({exc.code})",
                      f"message refused: {exc.message} ({exc.code})",
                      [{"rule": exc.code, "outcome": "deny", "ref": "issue 7 (limits)",
                        "message": exc.message}], exc.smtp_status) from exc
    analysis = ctx.analysis
    ctx.recipients = _recipients(ctx.envelope, analysis)
    ctx.external = tuple(r for r in ctx.recipients if _destination(ctx, r) != "internal")
    if not ctx.external:
        # Internal mail (issue 7): nothing is stripped; the record still says it passed.
        ctx.items = _classify(ctx, with_attachments=True)
        return Outcome("pass", [{"rule": "internal", "outcome": "allow", "ref": "issue 7",
                                 "message": "内部宛てのメール", "message_en": "internal mail"}])
    _check_opaque(ctx, analysis)
    ctx.items = _classify(ctx, with_attachments=True)
    bcc = _many_recipients(ctx, analysis)
    decisions = {address: _decision_for(ctx, address) for address in ctx.external}
    _refuse_denied(ctx, decisions)
    reasons = _reasons(decisions) + bcc
    if any(d.encrypt for d in decisions.values()):
        return _encrypted(ctx, decisions, reasons, bcc_rewrite=bool(bcc))
    return _stripped(ctx, reasons, bcc_rewrite=bool(bcc))


def mail_limits(rt: Runtime) -> MailLimits:
    return MailLimits(max_bytes=min(rt.settings.max_upload_bytes, MailLimits.max_bytes))


def _recipients(envelope: Envelope, analysis: MailAnalysis) -> tuple[str, ...]:
    found = envelope.rcpt_to or tuple(a for _n, a in analysis.addresses("To", "Cc", "Bcc"))
    return tuple(dict.fromkeys(a.strip().strip("<>").lower() for a in found if a.strip()))


def _destination(ctx: Context, address: str) -> str:
    return destination_of(ctx.profile.document.handling, Recipient(address, None, address),
                          ctx.profile.document.organisation, ctx.rt.settings.internal_domains)


def _check_opaque(ctx: Context, analysis: MailAnalysis) -> None:
    """S/MIME, PGP and TNEF cannot be inspected: the profile decides (issue 7, item 2)."""
    opaque = [*analysis.opaque, *analysis.tnef]
    if not opaque or ctx.profile.document.mail.opaque_encrypted_parts == "pass":
        return
    names = "、".join(p.name for p in opaque)
    kinds = ", ".join(sorted({"TNEF (winmail.dat)" if p.kind == "tnef" else
                              f"encrypted/opaque ({p.content_type})" for p in opaque}))
    raise Refusal(f"添付ファイル「{names}」は内容を検査できない形式 ({kinds}) のため"
                  "外部へ送信できません",
                  f"attachment {_ascii_names(opaque)} cannot be inspected ({kinds}); "
                  "it may not be sent outside (rule mail_opaque_parts)",
                  [{"rule": "mail_opaque_parts", "outcome": "deny",
                    "ref": "issue 7, item 2 (profile mail.opaque_encrypted_parts)",
                    "message": f"検査できない部分: {kinds}",
                    "documents": [p.name for p in opaque]}])


# -- classification ------------------------------------------------------------------------


def _classify(ctx: Context, *, with_attachments: bool) -> list[Item]:
    analysis = ctx.analysis
    assert analysis is not None
    body = f"件名: {analysis.subject}\n{analysis.body_text}".encode()
    items = [_item(ctx, BODY_ID, BODY_NAME, body, "text/plain", None)]
    if with_attachments:
        for part in analysis.attachments:
            items.append(_item(ctx, f"attachment-{part.position}", part.name, part.data,
                               part.content_type, part))
    return items


def _item(ctx: Context, item_id: str, name: str, data: bytes, declared: str,
          part: MailPart | None) -> Item:
    try:
        mime = detect_content_type(data, name, declared).mime
        existing = _existing_label(data, mime, ctx.profile)
        reading = read_and_classify(data, mime, ctx.profile, ner=ctx.rt.settings.ner)
    except SekishoError as exc:
        if _sekisho_failure(exc):
            raise
        raise _item_refusal(name, exc) from exc
    label = reading.floor
    if existing is not None:
        label = label.combine(Label.from_dict(existing))
    return Item(item_id, name, data, mime, label, part, existing)


def _existing_label(data: bytes, mime: str, profile: Profile) -> dict[str, Any] | None:
    """A label sekisho wrote earlier (LBL-01) is honoured: the mail never goes below it."""
    try:
        found = read_label(data, mime)
    except Exception:  # no handler, or an unreadable property store: no label to honour
        return None
    if not isinstance(found, dict) or found.get("profile") != profile.id:
        return None
    try:
        Label.from_dict(found)
    except Exception:
        return None
    return dict(found)


def _item_refusal(name: str, exc: SekishoError) -> Refusal:
    return Refusal(f"添付ファイル「{name}」を検査・無害化できないため送信できません ({exc.code})",
                   f"attachment {_ascii(name)} cannot be inspected or sanitised "
                   f"({exc.code}); it may not be sent outside",
                   [{"rule": exc.code, "outcome": "deny", "ref": "issue 7, item 3",
                     "message": exc.message, "documents": [name]}])


# -- the policy ----------------------------------------------------------------------------


def _decision_for(ctx: Context, address: str) -> ExportDecision:
    cert = recipient_key(ctx.rt, address)
    granted, covered = _granted(ctx, address)
    sender = ctx.envelope.mail_from or "unknown"
    docs = tuple(DocumentFacts(i.id, i.name, i.label, 0) for i in ctx.items)
    context = ExportContext(docs, "email", Recipient(address, None, address, cert is not None),
                            Requester(0, sender, frozenset()), granted)
    decision = decide_export(ctx.profile, context, ctx.rt.settings.internal_domains)
    return _with_c3_floor(ctx, decision, covered)


def _with_c3_floor(ctx: Context, decision: ExportDecision,
                   covered: frozenset[str]) -> ExportDecision:
    """Issue 7: under EVERY profile a 機密性3 item to an external recipient without a
    recorded approval is refused, whatever the profile's own rules say."""
    uncovered = tuple(i.id for i in ctx.items if i.label.confidentiality >= Confidentiality.C3
                      and i.sha256 not in covered)
    if not uncovered or decision.destination == "internal":
        return decision
    level = ctx.profile.level_name(Axis.CONFIDENTIALITY, "C3")
    reason = Reason(C3_RULE, "deny", C3_REF,
                    f"{level}の情報は承認の記録なく外部へ電子メールで送信できない",
                    "機密性3 information cannot be e-mailed outside without a recorded "
                    "approval", uncovered)
    return replace(decision, outcome="deny", reasons=(reason, *decision.reasons))


def _granted(ctx: Context, address: str) -> tuple[frozenset[str], frozenset[str]]:
    """Rules approved for an e-mail export to ``address`` of the same content (the original
    document's hash, or the hash of a file in its package), and the hashes so covered."""
    hashes = {i.sha256 for i in ctx.items}
    rules: set[str] = set()
    covered: set[str] = set()
    with ctx.rt.sessions() as session:
        for export in session.execute(select(Export).where(
                Export.method == "email", Export.state.in_(GRANTED_EXPORT_STATES))).scalars():
            if str((export.recipient or {}).get("email") or "").strip().lower() != address:
                continue
            matched = hashes & _export_hashes(session, export)
            if matched:
                covered |= matched
                rules |= approvals.granted_rules(session, "export", export.id)
    return frozenset(rules), frozenset(covered)


def _export_hashes(session: Session, export: Export) -> set[str]:
    found = {d for d in session.execute(select(Document.sha256).where(
        Document.id.in_(list(export.document_ids or [])))).scalars() if d}
    for record in session.execute(select(ExchangeRecord).where(
            ExchangeRecord.export_id == export.id)).scalars():
        found |= {str(c.get("sha256")) for c in record.content or [] if c.get("sha256")}
    return found


def _refuse_denied(ctx: Context, decisions: dict[str, ExportDecision]) -> None:
    for address, decision in decisions.items():
        blocking = [r for r in decision.reasons if r.outcome == "deny"] if decision.denied \
            else list(decision.pending_approvals)
        if not blocking:
            continue
        reason = blocking[0]
        names = _item_names(ctx, reason.documents)
        level = _level(ctx, reason.documents)
        what = "承認が記録されていない" if reason.outcome == "approval" else "規程により"
        ja = (f"添付ファイル「{names}」は{level}のため、{what}外部 ({address}) へ電子メールで"
              f"送信できません ({reason.ref}): {reason.message}")
        en = (f"attachment {_ascii_items(ctx, reason.documents)} cannot be e-mailed outside "
              f"to {address} (rule {reason.rule}"
              + ("; approval not recorded" if reason.outcome == "approval" else "") + ")")
        raise Refusal(ja, en, _reasons(decisions))


def _item_names(ctx: Context, ids: Sequence[str]) -> str:
    chosen = [i for i in ctx.items if i.id in ids] or ctx.items
    return "」「".join(i.name for i in chosen)


def _level(ctx: Context, ids: Sequence[str]) -> str:
    chosen = [i for i in ctx.items if i.id in ids] or ctx.items
    top = max(i.label.confidentiality for i in chosen)
    return ctx.profile.level_name(Axis.CONFIDENTIALITY, top.code)


def _reasons(decisions: dict[str, ExportDecision]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for address, decision in decisions.items():
        for reason in decision.reasons:
            out.append({**reason.to_dict(), "recipient": address,
                        "pending": reason in decision.pending_approvals})
    return out


def _many_recipients(ctx: Context, analysis: MailAnalysis) -> list[dict[str, Any]]:
    """Saitama 第8 1(3)ク / Chiba 10.1(15)ウ (XFR-07): recipients must not see each other."""
    spec = ctx.profile.document.mail
    visible = {a.lower() for _n, a in analysis.addresses("To", "Cc")}
    external = [a for a in visible if _destination(ctx, a) != "internal"]
    if len(external) < spec.many_recipients_threshold or spec.many_recipients_action == "allow":
        return []
    ref = spec.many_recipients_ref or "XFR-07"
    if spec.many_recipients_action == "reject":
        raise Refusal(f"外部の宛先 {len(external)} 件が To/Cc に表示されています。Bcc を使用して"
                      f"ください ({ref})",
                      f"{len(external)} external recipients are visible in To/Cc; use Bcc "
                      "(rule many_recipients)",
                      [{"rule": "many_recipients", "outcome": "deny", "ref": ref,
                        "message": "多数の外部宛先が表示されている"}])
    return [{"rule": "many_recipients", "outcome": "rewrite", "ref": ref,
             "message": f"外部の宛先 {len(external)} 件を To/Cc から除き Bcc とした",
             "message_en": f"{len(external)} external recipients moved out of To/Cc (Bcc)"}]


# -- pass: metadata stripped ---------------------------------------------------------------


def _stripped(ctx: Context, reasons: list[dict[str, Any]], *, bcc_rewrite: bool) -> Outcome:
    analysis = ctx.analysis
    assert analysis is not None
    message = analysis.message
    attachments = [i for i in ctx.items if i.part is not None]
    for item in attachments:
        assert item.part is not None
        data, mime, name = _sanitised(ctx, item)
        maintype, _, subtype = mime.partition("/")
        item.part.part.set_content(data, maintype, subtype or "octet-stream",  # type: ignore[attr-defined]
                                   disposition="attachment", filename=name)
    if bcc_rewrite:
        _hide_external(ctx, message)
    note = {"rule": "metadata_stripped", "outcome": "allow", "ref": "issue 7, item 3",
            "message": "添付ファイルのメタデータを除去した (無害化・ラベル付与)",
            "message_en": "only metadata changed: attachments sanitised and labelled"}
    changed = bool(attachments) or bcc_rewrite
    decision = "rewrite" if bcc_rewrite else "pass"
    return Outcome(decision, [*reasons, note] if attachments else reasons,
                   _serialise(message) if changed else None)


def _sanitised(ctx: Context, item: Item) -> tuple[bytes, str, str]:
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
        if _sekisho_failure(exc):
            raise
        raise _item_refusal(item.name, exc) from exc
    return data, result.mime, _renamed(item.name, item.mime, result.mime)


def _renamed(name: str, before: str, after: str) -> str:
    if before == after:
        return name
    suffix = mimetypes.guess_extension(after) or ""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return stem + suffix


def _hide_external(ctx: Context, message: EmailMessage) -> None:
    """External addresses leave To/Cc (the envelope keeps them): Bcc (XFR-07)."""
    for header in ("To", "Cc"):
        values = message.get_all(header) or []
        if not values:
            continue
        kept = [(n, a) for n, a in email.utils.getaddresses([str(v) for v in values])
                if a and _destination(ctx, a.lower()) == "internal"]
        del message[header]
        if kept:
            message[header] = ", ".join(email.utils.formataddr(p) for p in kept)
        elif header == "To":
            message[header] = "undisclosed-recipients:;"
    del message["Bcc"]


def _serialise(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=SMTP)


# -- rewrite: encrypted --------------------------------------------------------------------


def _encrypted(ctx: Context, decisions: dict[str, ExportDecision],
               reasons: list[dict[str, Any]], *, bcc_rewrite: bool) -> Outcome:
    analysis = ctx.analysis
    assert analysis is not None
    encrypted_ids = {d for dec in decisions.values() for r in dec.reasons
                     if r.outcome == "encrypt" for d in r.documents}
    body_sealed = BODY_ID in encrypted_ids
    files = []
    for item in ctx.items:
        if item.part is not None:
            data, _mime, name = _sanitised(ctx, item)
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
        _hide_external(ctx, message)
    notifications = [_password_notice(ctx, sealed)] if sealed and sealed.password else []
    note = {"rule": "encrypted", "outcome": "encrypt", "ref": "issue 7, item 3",
            "message": "添付ファイルを無害化・ラベル付与の上暗号化した"
                       + ("。パスワードは送信者へ別途通知" if notifications else ""),
            "message_en": f"attachments sanitised, labelled and encrypted "
                          f"({sealed.format if sealed else 'none'})"
                          + ("; the password went to the sender" if notifications else "")}
    return Outcome("rewrite", [*reasons, note], _serialise(message), notifications)


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


def recipient_key(rt: Runtime, address: str) -> KeyRecipient | None:
    """The recipient's key from a usable certificate; a certificate that cannot be used
    (weak key, not a certificate) is as good as none: the password path is taken."""
    cert = recipient_certificate(rt, address)
    if cert is None:
        return None
    try:
        return parse_recipient(cert)
    except Exception as exc:
        log.warning("recipient certificate for %s not usable: %s", address, exc)
        return None


def recipient_certificate(rt: Runtime, address: str) -> bytes | None:
    """The recipient's certificate, <address>.pem in the configured directory."""
    base = rt.settings.recipient_cert_dir or rt.settings.data_dir / "recipient-certs"
    name = address.strip().lower()
    if not name or "/" in name or name.startswith("."):
        return None
    path = Path(base) / f"{name}.pem"
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None


# -- record and answer ---------------------------------------------------------------------


def _record(ctx: Context, outcome: Outcome) -> str:
    partner = {"name": ", ".join(ctx.external or ctx.recipients)[:255] or "unknown",
               "email": ", ".join(ctx.external)[:255] or None,
               "recipients": list(ctx.recipients), "external": list(ctx.external)}
    content = [i.entry() for i in ctx.items]
    if ctx.analysis is not None:
        content += [{"name": p.name, "sha256": p.sha256, "size": p.size, "label": None}
                    for p in (*ctx.analysis.opaque, *ctx.analysis.tnef)]
    with ctx.rt.sessions.begin() as session:
        record = record_exchange(session, source=SOURCE, profile=ctx.profile.id,
                                 partner=partner, method="email", content=content,
                                 requested_by=ctx.envelope.mail_from or None, approvers=[],
                                 outcome=outcome.decision, reasons=outcome.reasons,
                                 mac=ctx.rt.audit_mac)
        return record.id


def _headers(ctx: Context, decision: str, record_id: str | None) -> list[tuple[str, str]]:
    headers = [("X-Sekisho-Decision", decision)]
    if record_id:
        headers.append(("X-Sekisho-Record", record_id))
    if ctx.items:
        label = bundle_label(i.label for i in ctx.items)
        code = f"{label.confidentiality.code}/{label.integrity.code}/{label.availability.code}"
        if label.restrictions:
            code += "; " + ",".join(sorted(label.restrictions))
        headers.append(("X-Sekisho-Label", f"{ctx.profile.id} {code}"))
    return headers


def _line(text: str) -> str:
    """One SMTP reply line: no line breaks, at most MAX_LINE_BYTES of UTF-8."""
    text = " ".join(text.split())
    encoded = text.encode("utf-8")
    if len(encoded) <= MAX_LINE_BYTES:
        return text
    return encoded[:MAX_LINE_BYTES - 3].decode("utf-8", errors="ignore") + "..."


def _ascii(name: str) -> str:
    """An ASCII-safe rendering of a file name for the English line."""
    if name.isascii():
        return f'"{name}"'
    return '"' + name.encode("ascii", errors="backslashreplace").decode("ascii") + '"'


def _ascii_names(parts: Sequence[MailPart]) -> str:
    return ", ".join(_ascii(p.name) for p in parts)


def _ascii_items(ctx: Context, ids: Sequence[str]) -> str:
    chosen = [i for i in ctx.items if i.id in ids] or ctx.items
    return ", ".join(_ascii(i.name) for i in chosen)
