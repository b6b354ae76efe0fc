"""The trace of an outbound decision (service.mail.outbound): the exchange record every
message writes (Ishikawa 第12(6)), the X-Sekisho headers and the SMTP reply line."""

from __future__ import annotations

from core.handling.engine import bundle_label
from service.exchange import record_exchange
from service.mail.outbound_context import SOURCE, Context, Outcome

MAX_LINE_BYTES = 480  # RFC 5321 4.5.3.1.5: a reply line is at most 512 octets


def write_record(ctx: Context, outcome: Outcome) -> str:
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


def sekisho_headers(ctx: Context, decision: str, record_id: str | None) -> list[tuple[str, str]]:
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


def reply_line(text: str) -> str:
    """One SMTP reply line: no line breaks, at most MAX_LINE_BYTES of UTF-8."""
    text = " ".join(text.split())
    encoded = text.encode("utf-8")
    if len(encoded) <= MAX_LINE_BYTES:
        return text
    return encoded[:MAX_LINE_BYTES - 3].decode("utf-8", errors="ignore") + "..."
