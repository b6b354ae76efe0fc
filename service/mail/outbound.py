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

import logging
from typing import Any, cast

from service.mail.analysis import MailLimits, MailRefused, analyse
from service.mail.outbound_classify import classify
from service.mail.outbound_context import Context, Outcome, Refusal
from service.mail.outbound_policy import (
    check_opaque,
    decision_for,
    many_recipients,
    policy_reasons,
    refuse_denied,
)
from service.mail.outbound_recipients import destination, recipients_of
from service.mail.outbound_record import reply_line, sekisho_headers, write_record
from service.mail.outbound_rewrite import encrypted, stripped
from service.mail.result import (
    ACCEPT_CODE,
    ACCEPT_STATUS,
    REJECT_CODE,
    REJECT_STATUS,
    Decision,
    Envelope,
    MailResult,
    tempfail,
)
from service.runtime import Runtime

log = logging.getLogger("sekisho.mail")


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
        record_id = write_record(ctx, outcome)
    except Exception as exc:  # no record, no decision: every message writes one (第12(6))
        log.exception("outbound mail: writing the exchange record failed")
        return _tempfail(ctx, exc, record=False)
    return MailResult(cast(Decision, outcome.decision), code, status, reply_line(outcome.ja),
                      reply_line(outcome.en),
                      outcome.reasons, outcome.message,
                      sekisho_headers(ctx, outcome.decision, record_id), record_id,
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
            record_id = write_record(ctx, Outcome("tempfail", reasons))
        except Exception:
            log.exception("outbound mail: the tempfail record could not be written either")
    return tempfail("sekisho が判定できなかったため一時的に受け付けません。後で再送されます。",
                    "sekisho could not decide; try again later", reasons=reasons,
                    record_id=record_id,
                    add_headers=sekisho_headers(ctx, "tempfail", record_id))


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
    ctx.recipients = recipients_of(ctx.envelope, analysis)
    ctx.external = tuple(r for r in ctx.recipients if destination(ctx, r) != "internal")
    if not ctx.external:
        # Internal mail (issue 7): nothing is stripped; the record still says it passed.
        ctx.items = classify(ctx, with_attachments=True)
        return Outcome("pass", [{"rule": "internal", "outcome": "allow", "ref": "issue 7",
                                 "message": "内部宛てのメール", "message_en": "internal mail"}])
    check_opaque(ctx, analysis)
    ctx.items = classify(ctx, with_attachments=True)
    bcc = many_recipients(ctx, analysis)
    decisions = {address: decision_for(ctx, address) for address in ctx.external}
    refuse_denied(ctx, decisions)
    reasons = policy_reasons(decisions) + bcc
    if any(d.encrypt for d in decisions.values()):
        return encrypted(ctx, decisions, reasons, bcc_rewrite=bool(bcc))
    return stripped(ctx, reasons, bcc_rewrite=bool(bcc))


def mail_limits(rt: Runtime) -> MailLimits:
    return MailLimits(max_bytes=min(rt.settings.max_upload_bytes, MailLimits.max_bytes))
