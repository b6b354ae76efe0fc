"""What the gateway is given and what it answers: the contract between the decision code
(service.mail.outbound / inbound) and its two front ends (the milter and the HTTP API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Decision = Literal["reject", "rewrite", "pass", "tempfail"]

# SMTP answers (RFC 5321 codes, RFC 3463 enhanced status codes).
REJECT_CODE, REJECT_STATUS = 550, "5.7.1"  # delivery not authorised: the policy refuses it
TEMPFAIL_CODE, TEMPFAIL_STATUS = 451, "4.3.0"  # try again later: never pass the original
ACCEPT_CODE, ACCEPT_STATUS = 250, "2.0.0"


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    rcpt_to: tuple[str, ...]
    client_address: str | None = None


@dataclass(frozen=True)
class Notification:
    """A separate message the gateway sends (e.g. the password of an encrypted attachment to
    the SENDER, never to the recipient in the same flow: issue 7, item 3; PPAP abolished)."""

    to: str
    subject: str
    body: str = field(repr=False)  # may hold a password: never logged


@dataclass
class MailResult:
    decision: Decision
    smtp_code: int
    smtp_status: str
    smtp_text_ja: str = ""
    smtp_text_en: str = ""
    reasons: list[dict[str, Any]] = field(default_factory=list)
    message: bytes | None = field(default=None, repr=False)  # None: the original unchanged
    add_headers: list[tuple[str, str]] = field(default_factory=list)
    record_id: str | None = None
    notifications: list[Notification] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of POST /v1/mail/* (the rewritten message is sent separately or as
        base64 by the API module; notifications' bodies are never included)."""
        return {"decision": self.decision,
                "smtp": {"code": self.smtp_code, "status": self.smtp_status,
                         "text_ja": self.smtp_text_ja, "text_en": self.smtp_text_en},
                "reasons": self.reasons, "headers": [list(h) for h in self.add_headers],
                "record_id": self.record_id,
                "notifications": [{"to": n.to, "subject": n.subject}
                                  for n in self.notifications]}


def tempfail(why_ja: str, why_en: str, **extra: Any) -> MailResult:
    """Fail closed (issue 7, item 5): the sender's MTA keeps the message and retries."""
    return MailResult("tempfail", TEMPFAIL_CODE, TEMPFAIL_STATUS, why_ja, why_en, **extra)
