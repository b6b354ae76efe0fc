"""The exchange record of a message refused before it was read (issue 7, item 3: every
message writes an exchange record; Saitama 第12(6) 情報の授受の記録).

The milter refuses a message larger than it accepts while the MTA is still sending it;
no decision code sees it, so the record names only what the envelope says: who sent it,
to whom, how large it had become, and why it was refused.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from service.exchange import record_exchange
from service.mail.result import Envelope

if TYPE_CHECKING:
    from service.runtime import Runtime

log = logging.getLogger("sekisho.mail")

SOURCES = {"outbound": "mail_outbound", "inbound": "mail_inbound"}


def record_unread_refusal(rt: Runtime, direction: str, envelope: Envelope, *,
                          outcome: str, reasons: list[dict[str, Any]]) -> str | None:
    """Write the record; its id, or None when it could not be written (logged: the
    refusal stands either way, refusing is the safe side)."""
    recipients = [a.strip().strip("<>").lower() for a in envelope.rcpt_to if a.strip()]
    sender = envelope.mail_from.strip().strip("<>")
    partner = ({"name": ", ".join(recipients)[:255] or "unknown", "recipients": recipients}
               if direction == "outbound" else
               {"email": sender or None, "organisation": sender.rpartition("@")[2].lower()
                or None, "client_address": envelope.client_address})
    try:
        with rt.sessions.begin() as session:
            record = record_exchange(
                session, source=SOURCES[direction], profile=rt.profile(None).id,
                partner=partner, method="email", content=[],
                requested_by=(sender or None) if direction == "outbound" else None,
                approvers=[], outcome=outcome, reasons=reasons, mac=rt.audit_mac)
            return record.id
    except Exception:
        log.exception("the exchange record of a refused message could not be written")
        return None
