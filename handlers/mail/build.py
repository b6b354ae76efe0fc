"""Writing the cleaned message (RFC 5322 + MIME): kept headers, one UTF-8 text body, and the
cleaned attachments under their new types and names.

Deterministic: the same input gives the same bytes (the multipart boundary is derived from
the content rather than random), so cleaning is idempotent and outputs can be compared.
Bodies and attachments are base64-encoded and headers RFC 2047-encoded, so the message is
7-bit with CRLF line ends.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage, MIMEPart

from handlers.extract.mail import MESSAGE_RFC822
from handlers.mail.headers import LABEL_HEADER

OUTPUT_POLICY = email.policy.SMTP
_BOUNDARY_PREFIX = "sekisho-"


@dataclass(frozen=True)
class OutputAttachment:
    """A cleaned attachment as the rebuilt message carries it."""

    data: bytes = field(repr=False)
    mime: str
    name: str = field(repr=False)


def build_message(
    headers: Sequence[tuple[str, object]],
    body: str,
    attachments: Sequence[OutputAttachment],
    label: str | None = None,
) -> bytes:
    """The rebuilt message; ``label`` (canonical JSON) goes into LABEL_HEADER."""
    message = EmailMessage(policy=OUTPUT_POLICY)
    for name, value in headers:
        message[name] = value
    if label is not None:
        message[LABEL_HEADER] = label
    message.set_content(body, charset="utf-8", cte="base64")
    if attachments:
        message.make_mixed()
        for attachment in attachments:
            # EmailMessage.attach is typed for EmailMessage but takes any MIMEPart; a plain
            # MIMEPart keeps "MIME-Version" out of the attachment headers.
            message.attach(_attachment_part(attachment))  # type: ignore[arg-type]
        message.set_boundary(_boundary(body, attachments))
    return message.as_bytes()


def _attachment_part(attachment: OutputAttachment) -> MIMEPart:
    part = MIMEPart(policy=OUTPUT_POLICY)
    if attachment.mime == MESSAGE_RFC822:
        # A cleaned message is 7-bit already; it is carried as a message, not as base64.
        inner = email.message_from_bytes(attachment.data, policy=OUTPUT_POLICY)
        part.set_content(inner, cte="7bit", disposition="attachment", filename=attachment.name)
    else:
        maintype, _, subtype = attachment.mime.partition("/")
        part.set_content(attachment.data, maintype, subtype, cte="base64",
                         disposition="attachment", filename=attachment.name)
    return part


def _boundary(body: str, attachments: Sequence[OutputAttachment]) -> str:
    digest = hashlib.sha256(body.encode("utf-8"))
    for attachment in attachments:
        for piece in (attachment.mime.encode(), attachment.name.encode(), attachment.data):
            digest.update(len(piece).to_bytes(8, "big"))
            digest.update(piece)
    return _BOUNDARY_PREFIX + digest.hexdigest()[:40]
