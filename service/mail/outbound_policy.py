"""The policy of an outbound message (service.mail.outbound): the per-recipient decision
(core.handling.decide_export, method ``email``) with the 機密性3 floor and the recorded
approvals, and the refusals (uninspectable parts, denied items, many visible recipients)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.handling import (
    DocumentFacts,
    ExportContext,
    ExportDecision,
    Reason,
    Recipient,
    Requester,
    decide_export,
)
from core.labels import Axis, Confidentiality
from service import approvals
from service.mail.analysis import MailAnalysis
from service.mail.outbound_context import Context, Refusal, ascii_items, ascii_names
from service.mail.outbound_recipients import destination, recipient_key
from service.models import Document, ExchangeRecord, Export

# An export in one of these states has every approval it needs (service.exports).
GRANTED_EXPORT_STATES = ("approved", "ready", "delivered", "confirmed")
C3_RULE, C3_REF = "mail_c3_external", "XFR-01 (issue 7: 機密性3 to an external recipient)"


def check_opaque(ctx: Context, analysis: MailAnalysis) -> None:
    """S/MIME, PGP and TNEF cannot be inspected: the profile decides (issue 7, item 2)."""
    opaque = [*analysis.opaque, *analysis.tnef]
    if not opaque or ctx.profile.document.mail.opaque_encrypted_parts == "pass":
        return
    names = "、".join(p.name for p in opaque)
    kinds = ", ".join(sorted({"TNEF (winmail.dat)" if p.kind == "tnef" else
                              f"encrypted/opaque ({p.content_type})" for p in opaque}))
    raise Refusal(f"添付ファイル「{names}」は内容を検査できない形式 ({kinds}) のため"
                  "外部へ送信できません",
                  f"attachment {ascii_names(opaque)} cannot be inspected ({kinds}); "
                  "it may not be sent outside (rule mail_opaque_parts)",
                  [{"rule": "mail_opaque_parts", "outcome": "deny",
                    "ref": "issue 7, item 2 (profile mail.opaque_encrypted_parts)",
                    "message": f"検査できない部分: {kinds}",
                    "documents": [p.name for p in opaque]}])


def decision_for(ctx: Context, address: str) -> ExportDecision:
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


def refuse_denied(ctx: Context, decisions: dict[str, ExportDecision]) -> None:
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
        en = (f"attachment {ascii_items(ctx, reason.documents)} cannot be e-mailed outside "
              f"to {address} (rule {reason.rule}"
              + ("; approval not recorded" if reason.outcome == "approval" else "") + ")")
        raise Refusal(ja, en, policy_reasons(decisions))


def _item_names(ctx: Context, ids: Sequence[str]) -> str:
    chosen = [i for i in ctx.items if i.id in ids] or ctx.items
    return "」「".join(i.name for i in chosen)


def _level(ctx: Context, ids: Sequence[str]) -> str:
    chosen = [i for i in ctx.items if i.id in ids] or ctx.items
    top = max(i.label.confidentiality for i in chosen)
    return ctx.profile.level_name(Axis.CONFIDENTIALITY, top.code)


def policy_reasons(decisions: dict[str, ExportDecision]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for address, decision in decisions.items():
        for reason in decision.reasons:
            out.append({**reason.to_dict(), "recipient": address,
                        "pending": reason in decision.pending_approvals})
    return out


def many_recipients(ctx: Context, analysis: MailAnalysis) -> list[dict[str, Any]]:
    """Saitama 第8 1(3)ク / Chiba 10.1(15)ウ (XFR-07): recipients must not see each other."""
    spec = ctx.profile.document.mail
    visible = {a.lower() for _n, a in analysis.addresses("To", "Cc")}
    external = [a for a in visible if destination(ctx, a) != "internal"]
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
