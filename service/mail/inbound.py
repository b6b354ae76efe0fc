"""Inbound mail from the internet: 無害化 (issue 7, item 4; Chiba 2(12) 無害化通信, 7.2).

``process_inbound`` decides one message, for the milter and for POST /v1/mail/inbound:

1. clamd scans the whole raw message first (when SEKISHO_CLAMD is set). Malware: the
   message is refused (550 5.7.1) and its original kept only encrypted in the quarantine
   (service.mail.quarantine); an unreachable scanner is a temporary failure.
2. The message is classified (the floor chooses the profile's inbound mode per level, e.g.
   Chiba C3 raster), then sanitised in an isolated child by the MailHandler: the body becomes
   UTF-8 text/plain (HTML converted, links shown as text unless the profile removes them),
   attachments are rebuilt by their own handlers (macros dropped: docm -> docx), executable
   and unsupported attachments are dropped and counted. In the profile's ``pdf`` / ``raster``
   inbound modes the office (and, for raster, PDF and image) attachments are then converted.
3. A notice listing what was removed (count and reason per attachment) heads the body, in
   Japanese and English, so the recipient knows something was taken out.
4. A message the sanitiser refuses as a whole (corrupt, over a limit, ...) is refused (550)
   with its original quarantined, so staff can ask for its release.
5. sekisho's own failure (timeout, crash, scanner down) is a temporary failure (451): the
   original is never passed on (issue 7, item 5: fail closed).

A rewritten message's original is not kept (Saitama 第8 1(3)コ). Every message writes an
exchange record (source mail_inbound, partner = the sender; Ishikawa 第12(6)).
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from core.errors import (
    ConverterUnavailable,
    MalwareDetected,
    ProcessingTimeout,
    ResourceLimitExceeded,
    SekishoError,
)
from core.labels import Label
from core.profiles import Profile
from handlers.archive.nested import is_member_refusal, name_for_type
from handlers.isolation import Limits, ProcessingFailed
from handlers.mail.structure import parse_message, read_content
from handlers.malware import ScannerUnavailable, scan_bytes
from handlers.sanitise import IMAGE_TYPES, OFFICE_TYPES, PDF, SanitiseSettings, sanitise_file
from service.exchange import record_exchange
from service.mail.quarantine import (
    REASON_MALWARE,
    QuarantineFacts,
    link_record,
    quarantine_original,
)
from service.mail.result import (
    ACCEPT_CODE,
    ACCEPT_STATUS,
    REJECT_CODE,
    REJECT_STATUS,
    Envelope,
    MailResult,
    tempfail,
)
from service.pipeline import isolation_limits, read_and_classify, sanitise_settings
from service.runtime import Runtime

log = logging.getLogger(__name__)

MESSAGE_RFC822 = "message/rfc822"
SOURCE = "mail_inbound"
OUTCOME_REWRITTEN, OUTCOME_QUARANTINED = "rewritten", "quarantined"
OUTCOME_TEMPFAIL = "tempfail"
DECISION_HEADER, RECORD_HEADER = "X-Sekisho-Decision", "X-Sekisho-Record"
_PARSE_POLICY = email.policy.SMTP

#: sekisho's own failures: the message is not at fault, so it is retried (451), never
#: delivered unsanitised and never refused for good.
OWN_FAILURES: tuple[type[Exception], ...] = (
    ProcessingTimeout, ResourceLimitExceeded, ProcessingFailed, ConverterUnavailable,
    ScannerUnavailable)

#: How the notice names a removal reason (the handlers' error codes).
REMOVAL_REASONS: dict[str, tuple[str, str]] = {
    "executable_content": ("実行形式", "executable"),
    "unsupported_content": ("未対応の形式", "unsupported type"),
    "encrypted_content": ("暗号化されており検査不能", "encrypted, cannot be inspected"),
    "corrupt_file": ("破損", "corrupt"),
    "limit_exceeded": ("制限超過", "over a limit"),
    "nesting_too_deep": ("入れ子が深すぎる", "nested too deeply"),
    "refused_by_profile": ("規程により不可", "refused by the profile"),
    "verification_failed": ("検証不合格", "failed verification"),
}
_DROPPED = "attachment_dropped:"
INBOUND_REF = "Chiba 2(12) 無害化通信; 7.2; Saitama 第8 1(3)コ"


@dataclass
class _Message:
    """What the record says about one message (never its content)."""

    raw: bytes = field(repr=False)
    envelope: Envelope
    profile: Profile
    label: Label | None = None

    def content(self) -> list[dict[str, Any]]:
        label = self.label.to_dict() if self.label is not None else None
        entries = [_entry("message.eml", self.raw, label)]
        entries += [_entry(name, data, label) for name, data in _attachments(self.raw)]
        return entries


def _entry(name: str, data: bytes, label: dict[str, Any] | None) -> dict[str, Any]:
    return {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
            "label": label}


def _attachments(raw: bytes) -> list[tuple[str, bytes]]:
    """The original attachments (name, bytes) for the record; none when unreadable."""
    try:
        content = read_content(parse_message(raw), keep_links=False)
    except (SekishoError, ValueError, LookupError, RecursionError):
        return []
    return [(a.name or f"attachment-{a.position}", a.data) for a in content.attachments]


# --- the decision ----------------------------------------------------------------------------


def process_inbound(rt: Runtime, raw: bytes, envelope: Envelope) -> MailResult:
    """Decide one inbound message; never raises (a failure is a 451, fail closed)."""
    try:
        msg = _Message(raw, envelope, rt.profile(None))
    except SekishoError:
        log.exception("inbound mail: the deployment's profile is not usable")
        return tempfail("一時的に処理できません", "temporarily unable to process the message")
    try:
        return _decide(rt, msg)
    except MalwareDetected as exc:
        return _refuse(rt, msg, REASON_MALWARE, exc.message, malware=True)
    except OWN_FAILURES as exc:
        log.warning("inbound mail: temporary failure %s: %s", type(exc).__name__, exc)
        return _tempfail(rt, msg, getattr(exc, "code", "processing_failed"))
    except SekishoError as exc:
        # The sanitiser refused the message as a whole (corrupt, limits, nothing usable).
        return _refuse(rt, msg, exc.code, exc.message, malware=False)
    except Exception:
        log.exception("inbound mail: sekisho failed; answering a temporary failure")
        return _tempfail(rt, msg, "internal_error")


def _decide(rt: Runtime, msg: _Message) -> MailResult:
    scan = scan_bytes(msg.raw, rt.settings.clamd)  # MalwareDetected / ScannerUnavailable
    reading = read_and_classify(msg.raw, MESSAGE_RFC822, msg.profile, ner=rt.settings.ner)
    msg.label = reading.floor
    policy = msg.profile.sanitise_policy("inbound", reading.floor)
    settings = sanitise_settings(policy)
    limits = isolation_limits(rt.settings)
    result = sanitise_file(msg.raw, MESSAGE_RFC822, settings, isolate=True, limits=limits)
    cleaned, converted, dropped = convert_attachments(result.data, settings, limits)
    removed = Counter(dict(result.report.get("removed") or {}))
    removed.update(dropped)
    cleaned = with_notice(cleaned, notice_lines(removed, converted))
    reasons = _rewrite_reasons(removed, converted, policy.mode, scan.to_dict())
    record_id = _record(rt, msg, OUTCOME_REWRITTEN, reasons)
    return MailResult(
        "rewrite", ACCEPT_CODE, ACCEPT_STATUS,
        "無害化して配送します", "delivered after sanitisation (無害化)",
        reasons=reasons, message=cleaned, record_id=record_id,
        add_headers=[(DECISION_HEADER, "rewrite"), (RECORD_HEADER, record_id)])


def _rewrite_reasons(removed: Counter[str], converted: int, mode: str,
                     scan: dict[str, Any]) -> list[dict[str, Any]]:
    dropped = {k.removeprefix(_DROPPED): n for k, n in removed.items() if k.startswith(_DROPPED)}
    return [{"code": "sanitised", "ref": INBOUND_REF, "mode": mode,
             "html_body_converted": bool(removed.get("html_body")),
             "attachments_removed": dropped, "attachments_converted": converted,
             "malware_scan": scan,
             "message": "メール本文をテキスト化し、添付ファイルを無害化しました",
             "message_en": "the body was converted to text and the attachments sanitised"}]


# --- outcomes other than rewrite ---------------------------------------------------------------


def _refuse(rt: Runtime, msg: _Message, code: str, detail: str, *, malware: bool
            ) -> MailResult:
    """550 and the original kept encrypted in the quarantine (and the record); if even that
    cannot be written, a temporary failure: the sender keeps the message."""
    if malware:
        ja, en = ("ウイルスが検出されたため隔離しました",
                  "message quarantined: malware detected")
    else:
        ja, en = (f"安全に無害化できないため受信を拒否し、隔離しました（{code}）",
                  f"message refused and quarantined: it cannot be sanitised ({code})")
    reasons = [{"code": code, "ref": INBOUND_REF, "message": ja, "message_en": en,
                "detail": detail[:500]}]
    try:
        record_id, item_id = _quarantine(rt, msg, code, detail, reasons)
    except Exception:
        log.exception("inbound mail: could not quarantine a refused message")
        return tempfail("一時的に処理できません", "temporarily unable to process the message")
    reasons[0]["quarantine_id"] = item_id
    return MailResult("reject", REJECT_CODE, REJECT_STATUS, ja, en, reasons=reasons,
                      record_id=record_id,
                      add_headers=[(DECISION_HEADER, "reject"), (RECORD_HEADER, record_id)])


def _quarantine(rt: Runtime, msg: _Message, code: str, detail: str,
                reasons: list[dict[str, Any]]) -> tuple[str, str]:
    envelope = msg.envelope
    facts = QuarantineFacts(code, detail, envelope.mail_from, envelope.rcpt_to,
                            envelope.client_address)
    with rt.sessions.begin() as session:
        doc = quarantine_original(session, rt.audit_mac, rt.blobs, msg.raw,
                                  profile=msg.profile, facts=facts)
        record = record_exchange(
            session, source=SOURCE, profile=msg.profile.id, partner=_partner(envelope),
            method="email", content=msg.content(), requested_by=None, approvers=[],
            outcome=OUTCOME_QUARANTINED,
            reasons=[{**r, "quarantine_id": doc.id} for r in reasons], mac=rt.audit_mac)
        link_record(doc, record.id)
        return record.id, doc.id


def _tempfail(rt: Runtime, msg: _Message, code: str) -> MailResult:
    reasons = [{"code": code, "ref": "issue 7 item 5 (fail closed)",
                "message": "一時的に処理できません。後で再送されます",
                "message_en": "temporarily unable to process; the sender's server retries"}]
    record_id: str | None = None
    try:
        record_id = _record(rt, msg, OUTCOME_TEMPFAIL, reasons)
    except Exception:
        # The database may be what failed: the 451 must still go out.
        log.exception("inbound mail: could not record a temporary failure")
    return tempfail(reasons[0]["message"], reasons[0]["message_en"], reasons=reasons,
                    record_id=record_id)


def _record(rt: Runtime, msg: _Message, outcome: str, reasons: list[dict[str, Any]]) -> str:
    with rt.sessions.begin() as session:
        record = record_exchange(
            session, source=SOURCE, profile=msg.profile.id, partner=_partner(msg.envelope),
            method="email", content=msg.content(), requested_by=None, approvers=[],
            outcome=outcome, reasons=reasons, mac=rt.audit_mac)
        return record.id


def _partner(envelope: Envelope) -> dict[str, Any]:
    address = envelope.mail_from.strip().strip("<>")
    _, _, domain = address.rpartition("@")
    return {"email": address or None, "organisation": domain.lower() or None,
            "client_address": envelope.client_address}


# --- the profile's inbound mode for attachments ------------------------------------------------


def _wants_conversion(mime: str, mode: str) -> bool:
    """The MailHandler cleans attachments structurally; the profile's ``pdf`` mode turns
    office files into PDF and ``raster`` reduces office files, PDFs and images to pixels
    (Chiba 2(12): C3 inbound)."""
    if mode == "pdf":
        return mime in OFFICE_TYPES
    if mode == "raster":
        return mime in OFFICE_TYPES or mime == PDF or mime in IMAGE_TYPES
    return False


def convert_attachments(cleaned: bytes, settings: SanitiseSettings, limits: Limits
                        ) -> tuple[bytes, int, Counter[str]]:
    """Convert the cleaned message's attachments by the inbound mode; returns the message,
    how many were converted and the attachments dropped because their conversion was
    refused (by code, as the MailHandler counts them). ``structural``: unchanged."""
    dropped: Counter[str] = Counter()
    if settings.mode == "structural":
        return cleaned, 0, dropped
    message = email.message_from_bytes(cleaned, policy=_PARSE_POLICY)
    assert isinstance(message, EmailMessage)
    converted = 0
    for part in _attachment_parts(message):
        if not _wants_conversion(part.get_content_type(), settings.mode):
            continue
        try:
            _convert_part(part, settings, limits)
        except SekishoError as exc:
            if isinstance(exc, OWN_FAILURES) or not is_member_refusal(exc):
                raise
            _drop_part(message, part)
            dropped["attachment_dropped"] += 1
            dropped[f"{_DROPPED}{exc.code}"] += 1
            continue
        converted += 1
    changed = converted or dropped
    return (message.as_bytes() if changed else cleaned), converted, dropped


def _convert_part(part: EmailMessage, settings: SanitiseSettings, limits: Limits) -> None:
    name = part.get_filename() or "attachment"
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    result = sanitise_file(data, part.get_content_type(), settings, filename=name,
                           isolate=True, limits=limits)
    maintype, _, subtype = result.mime.partition("/")
    part.set_content(result.data, maintype, subtype, cte="base64",
                     disposition="attachment", filename=name_for_type(name, result.mime))


def _drop_part(message: EmailMessage, part: EmailMessage) -> None:
    payload = message.get_payload()
    assert isinstance(payload, list)
    payload.remove(part)


def _attachment_parts(message: EmailMessage) -> Iterable[EmailMessage]:
    # Our own rebuilt structure: a text body, then attachments, one level (build.py).
    if not message.is_multipart():
        return []
    return [p for p in message.iter_parts()
            if isinstance(p, EmailMessage) and p.get_content_disposition() == "attachment"
            and not p.is_multipart()]


# --- the notice ------------------------------------------------------------------------------


def notice_lines(removed: Mapping[str, int], converted: int = 0) -> list[str]:
    """One line per removal reason, Japanese then English (issue 7 item 4: "removed with a
    notice in the message"); empty when nothing was removed or converted."""
    dropped: Counter[str] = Counter({k.removeprefix(_DROPPED): n for k, n in removed.items()
                                     if k.startswith(_DROPPED)})
    lines = []
    for code, count in sorted(dropped.items()):
        ja, en = REMOVAL_REASONS.get(code, (code, code))
        plural = "attachment" if count == 1 else "attachments"
        lines.append(f"【sekisho】添付ファイル {count} 件を削除しました（{ja}）"
                     f" / {count} {plural} removed ({en})")
    if converted:
        lines.append(f"【sekisho】添付ファイル {converted} 件を無害化のため変換しました"
                     f" / {converted} attachment(s) converted for sanitisation")
    if removed.get("html_body"):
        lines.append("【sekisho】HTML 形式の本文をテキストに変換しました"
                     " / the HTML body was converted to plain text")
    return lines


def with_notice(cleaned: bytes, lines: list[str]) -> bytes:
    """Prepend ``lines`` to the text body of our rebuilt message (UTF-8, base64)."""
    if not lines:
        return cleaned
    message = email.message_from_bytes(cleaned, policy=_PARSE_POLICY)
    assert isinstance(message, EmailMessage)
    body = next(message.iter_parts()) if message.is_multipart() else message
    assert isinstance(body, EmailMessage) and body.get_content_type() == "text/plain"
    text = body.get_content()
    body.set_content("\n".join(lines) + "\n\n" + text, charset="utf-8", cte="base64")
    return message.as_bytes()
