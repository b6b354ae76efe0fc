"""The recipients of an outbound message (service.mail.outbound): who they are, whether
each is internal or external, and the certificate an external recipient's package is
encrypted to."""

from __future__ import annotations

import logging
from pathlib import Path

from core.handling import Recipient, destination_of
from keys.export import Recipient as KeyRecipient
from keys.export import parse_recipient
from service.mail.analysis import MailAnalysis
from service.mail.outbound_context import Context
from service.mail.result import Envelope
from service.runtime import Runtime

log = logging.getLogger("sekisho.mail")


def recipients_of(envelope: Envelope, analysis: MailAnalysis) -> tuple[str, ...]:
    found = envelope.rcpt_to or tuple(a for _n, a in analysis.addresses("To", "Cc", "Bcc"))
    return tuple(dict.fromkeys(a.strip().strip("<>").lower() for a in found if a.strip()))


def destination(ctx: Context, address: str) -> str:
    return destination_of(ctx.profile.document.handling, Recipient(address, None, address),
                          ctx.profile.document.organisation, ctx.rt.settings.internal_domains)


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
