"""Reading a message: parse it, refuse what cannot be rebuilt, and sort its parts into
body text, attachments and what is dropped.

Body text: ``text/plain`` and ``text/html`` parts that are not attachments; of a
``multipart/alternative`` only one is read (plain text when there is one, otherwise HTML,
otherwise the last alternative), the others are dropped. HTML goes through the HTML-to-text
converter. Attachments: every other leaf part, forwarded messages included; each goes
through its own handler later. Signatures are dropped (they cannot verify after a rebuild);
S/MIME and PGP encrypted or opaque-signed content cannot be inspected and refuses the
message (EncryptedContent).
"""

from __future__ import annotations

import email
import email.errors
import email.policy
from collections import Counter
from dataclasses import dataclass, field
from email.message import Message

from core.errors import CorruptFile, EncryptedContent
from handlers.archive.nested import clean_name_segment
from handlers.extract.collector import Collector, Context
from handlers.extract.mail import MESSAGE_RFC822, _attached_message, _decode_body
from handlers.mail.limits import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    MAX_MAIL_PARTS,
    MAX_MIME_DEPTH,
    AttachmentsTooLarge,
    MimeNestingTooDeep,
    TooManyAttachments,
    TooManyMailParts,
)
from handlers.textual.html import no_nested_content
from handlers.textual.htmltext import html_to_text

POLICY = email.policy.default
#: Defects that mean the MIME structure itself is broken (truncated, boundaries missing,
#: header block not ended): what is in the message cannot be told reliably.
STRUCTURAL_DEFECTS = (
    email.errors.StartBoundaryNotFoundDefect, email.errors.CloseBoundaryNotFoundDefect,
    email.errors.NoBoundaryInMultipartDefect, email.errors.MultipartInvariantViolationDefect,
    email.errors.MissingHeaderBodySeparatorDefect,
)
ENCRYPTED_TYPES = frozenset({"multipart/encrypted", "application/pkcs7-mime",
                             "application/x-pkcs7-mime", "application/pgp-encrypted"})
SIGNATURE_TYPES = frozenset({"application/pkcs7-signature", "application/x-pkcs7-signature",
                             "application/pgp-signature"})
BODY_TYPES = frozenset({"text/plain", "text/html"})


@dataclass(frozen=True)
class Attachment:
    """An attachment's decoded bytes and cleaned-up name (``position`` counts from 1)."""

    data: bytes = field(repr=False)
    name: str = field(repr=False)
    content_type: str
    position: int


@dataclass
class MailContent:
    """A message sorted into what the rebuilt message carries and what it drops."""

    bodies: list[str] = field(default_factory=list, repr=False)
    attachments: list[Attachment] = field(default_factory=list)
    active: Counter[str] = field(default_factory=Counter)
    hidden: Counter[str] = field(default_factory=Counter)
    hidden_elements: int = 0
    undecodable_bodies: int = 0
    parts: int = 0


def parse_message(untrusted_data: bytes) -> Message:
    """The parsed message; CorruptFile for what is not a message or is structurally broken."""
    try:
        message = email.message_from_bytes(untrusted_data, policy=POLICY)
        defects = [d for part in message.walk() for d in part.defects]
    except Exception as exc:  # lenient parser; what it raises (RecursionError...) is corrupt
        raise CorruptFile(f"the message cannot be parsed ({type(exc).__name__})") from exc
    if not message.keys():
        raise CorruptFile("the message has no header fields")
    broken = sorted({type(d).__name__ for d in defects if isinstance(d, STRUCTURAL_DEFECTS)})
    if broken:
        raise CorruptFile("the message structure is broken: " + ", ".join(broken))
    return message


def read_content(message: Message, *, keep_links: bool) -> MailContent:
    """Walk the MIME tree depth-first (iteratively, bounded) into a MailContent."""
    content = MailContent()
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        content.parts += 1
        if content.parts > MAX_MAIL_PARTS:
            raise TooManyMailParts(f"more than {MAX_MAIL_PARTS} MIME parts")
        if depth > MAX_MIME_DEPTH:
            raise MimeNestingTooDeep(f"multipart nesting deeper than {MAX_MIME_DEPTH}")
        children = _children(part, content)
        stack.extend((child, depth + 1) for child in reversed(children))
        if _is_message(part) or not part.is_multipart():
            _leaf(part, content, keep_links=keep_links)
    _check_attachments(content)
    return content


def _is_message(part: Message) -> bool:
    return part.get_content_type() == MESSAGE_RFC822


def _children(part: Message, content: MailContent) -> list[Message]:
    content_type = part.get_content_type()
    if content_type in ENCRYPTED_TYPES:
        raise EncryptedContent("the message holds encrypted or opaque-signed S/MIME or PGP")
    if _is_message(part) or not part.is_multipart():
        return []
    payload = part.get_payload()
    children = [c for c in payload if isinstance(c, Message)] if isinstance(payload, list) else []
    if content_type != "multipart/alternative" or len(children) < 2:
        return children
    chosen = _choose_alternative(children)
    content.hidden["alternative_part"] += len(children) - 1
    return [chosen]


def _choose_alternative(children: list[Message]) -> Message:
    for wanted in ("text/plain", "text/html"):
        for child in children:
            if child.get_content_type() == wanted and not _is_attachment(child):
                return child
    return children[-1]


def _is_attachment(part: Message) -> bool:
    try:
        return part.get_content_disposition() == "attachment" or part.get_filename() is not None
    except (ValueError, LookupError, email.errors.HeaderParseError):
        return True


def _leaf(part: Message, content: MailContent, *, keep_links: bool) -> None:
    content_type = part.get_content_type()
    if content_type in SIGNATURE_TYPES:
        content.hidden["signature"] += 1
    elif content_type in BODY_TYPES and not _is_attachment(part):
        _body(part, content, keep_links=keep_links)
    elif content_type.startswith("message/") and not _is_message(part):
        content.hidden["message_part"] += 1  # delivery reports, partial or external bodies
    else:
        _attachment(part, content)


def _body(part: Message, content: MailContent, *, keep_links: bool) -> None:
    payload = part.get_payload(decode=True)
    out = Collector("message/rfc822", Context(ocr=False, recurse=no_nested_content))
    text = _decode_body(part, payload if isinstance(payload, bytes) else b"", out)
    if out.result().incomplete:
        content.undecodable_bodies += 1
    if part.get_content_type() == "text/html":
        conversion = html_to_text(text, keep_links=keep_links)
        text = conversion.text
        content.active["html_body"] += 1
        content.active.update({f"html_{k}": n for k, n in conversion.active.items() if n})
        content.hidden.update({f"html_{k}": n for k, n in conversion.hidden.items() if n})
        content.hidden_elements += conversion.hidden_elements
    content.bodies.append(text.replace("\r\n", "\n").replace("\r", "\n"))


def _attachment(part: Message, content: MailContent) -> None:
    position = len(content.attachments) + 1
    if _is_message(part):
        data = _attached_message(part)
        if data is None:
            raise CorruptFile("an attached message cannot be read")
    else:
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
    name = clean_name_segment(_file_name(part).replace("\\", "/").rsplit("/", 1)[-1])
    content.attachments.append(Attachment(data, name, part.get_content_type(), position))


def _file_name(part: Message) -> str:
    try:
        return part.get_filename() or ""
    except (ValueError, LookupError, email.errors.HeaderParseError):
        return ""


def _check_attachments(content: MailContent) -> None:
    if len(content.attachments) > MAX_ATTACHMENTS:
        raise TooManyAttachments(f"more than {MAX_ATTACHMENTS} attachments")
    if sum(len(a.data) for a in content.attachments) > MAX_ATTACHMENT_BYTES:
        raise AttachmentsTooLarge(f"attachments exceed {MAX_ATTACHMENT_BYTES} bytes")
