"""Reading a message for the gateway (issue 7, item 2: "MIME done right").

``analyse`` never crashes on what a sender writes: a message it cannot read, or one over a
limit, raises a :class:`MailRefused` with a stable code, which the gateway answers with an
SMTP 5xx (a policy refusal) and an exchange record. Anything else that goes wrong is
sekisho's own failure and becomes a 4xx in the caller (fail closed, issue 7, item 5).

What it gives: the decoded headers (RFC 2047 encoded words, raw ISO-2022-JP / Shift_JIS /
UTF-8 bytes), the body text (HTML converted to text), every attachment with its decoded name
(RFC 2231 and RFC 2047) and hash, and the parts that cannot be inspected: S/MIME and PGP
encrypted or opaque-signed content, and TNEF (winmail.dat), detected by type or name.
"""

from __future__ import annotations

import email.errors
import email.header
import email.utils
import hashlib
from dataclasses import dataclass, field
from email.message import EmailMessage, Message

from core.errors import CorruptFile, LimitExceeded, SekishoError
from handlers.archive.nested import clean_name_segment
from handlers.extract.mail import _attached_message, header_values
from handlers.extract.plaintext import codec_for_label, decode_lossy
from handlers.mail.limits import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS
from handlers.mail.structure import parse_message
from handlers.text import UnsupportedTextEncoding, decode_japanese_text
from handlers.textual.htmltext import html_to_text

MESSAGE_RFC822 = "message/rfc822"
TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
TNEF_NAME = "winmail.dat"
# S/MIME enveloped or opaque-signed content and PGP/MIME: sekisho cannot read inside, so
# the profile decides (mail.opaque_encrypted_parts).
OPAQUE_TYPES = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime",
                          "multipart/encrypted", "application/pgp-encrypted"})
SIGNATURE_TYPES = frozenset({"application/pkcs7-signature", "application/x-pkcs7-signature",
                             "application/pgp-signature"})
BODY_TYPES = frozenset({"text/plain", "text/html"})
ADDRESS_HEADERS = ("From", "To", "Cc", "Bcc", "Reply-To", "Sender")
INLINE_PGP = b"-----BEGIN PGP MESSAGE-----"


@dataclass(frozen=True)
class MailLimits:
    """Bounds on what the gateway reads (design: every parser has named limits). The part
    and depth bounds are the extractor's, so the classifier reads what the gateway accepts."""

    max_bytes: int = 64 * 1024 * 1024
    max_header_fields: int = 1000  # header bomb: too many fields
    max_header_bytes: int = 256 * 1024  # header bomb: one huge folded field or many
    max_parts: int = 1000
    max_depth: int = 32
    max_attachments: int = MAX_ATTACHMENTS
    max_attachment_bytes: int = MAX_ATTACHMENT_BYTES


DEFAULT_LIMITS = MailLimits()


class MailRefused(LimitExceeded):
    """A message the gateway refuses as it is (a policy refusal: SMTP 5xx)."""

    code = "mail_refused"
    smtp_status = "5.6.0"  # RFC 3463: other or undefined media error


class MailTooLarge(MailRefused):
    code = "mail_too_large"
    smtp_status = "5.3.4"  # message too big for system


class HeaderBomb(MailRefused):
    code = "mail_header_bomb"


class TooManyParts(MailRefused):
    code = "mail_too_many_parts"


class NestingTooDeep(MailRefused):
    code = "mail_nesting_too_deep"


class TooManyAttachments(MailRefused):
    code = "mail_too_many_attachments"


class AttachmentsTooLarge(MailRefused):
    code = "mail_attachments_too_large"
    smtp_status = "5.3.4"


class MalformedMail(MailRefused):
    code = "mail_malformed"


@dataclass(frozen=True)
class MailPart:
    """A leaf part: ``kind`` is ``attachment``, ``tnef``, ``opaque`` or ``signature``."""

    kind: str
    name: str
    content_type: str
    data: bytes = field(repr=False)
    position: int
    part: Message = field(repr=False, compare=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class MailAnalysis:
    message: EmailMessage = field(repr=False)
    headers: dict[str, list[str]] = field(default_factory=dict)
    body_text: str = field(default="", repr=False)
    body_parts: list[Message] = field(default_factory=list, repr=False)
    attachments: list[MailPart] = field(default_factory=list)
    opaque: list[MailPart] = field(default_factory=list)
    tnef: list[MailPart] = field(default_factory=list)
    signatures: int = 0
    parts: int = 0

    @property
    def subject(self) -> str:
        return (self.headers.get("Subject") or [""])[0]

    def addresses(self, *names: str) -> list[tuple[str, str]]:
        """(display name, address) of the named address headers, decoded."""
        values = [v for name in names for v in self.headers.get(name, [])]
        return [(n, a) for n, a in email.utils.getaddresses(values) if a and "@" in a]


def analyse(raw: bytes, limits: MailLimits = DEFAULT_LIMITS) -> MailAnalysis:
    """Read ``raw``; MailRefused (stable code) for what is over a limit or unreadable."""
    if len(raw) > limits.max_bytes:
        raise MailTooLarge(f"the message is larger than {limits.max_bytes} bytes")
    _check_header_block(raw, limits)
    try:
        message = parse_message(raw)
    except CorruptFile as exc:
        raise MalformedMail(exc.message) from exc
    if not isinstance(message, EmailMessage):  # policy.default always builds EmailMessage
        raise MalformedMail("the message cannot be parsed")
    analysis = MailAnalysis(message, headers=_headers(message))
    try:
        _walk(message, analysis, limits)
    except SekishoError:
        raise
    except (RecursionError, ValueError, LookupError, TypeError, email.errors.MessageError) as exc:
        raise MalformedMail(f"the message cannot be read ({type(exc).__name__})") from exc
    _check_attachments(analysis, limits)
    return analysis


def _check_header_block(raw: bytes, limits: MailLimits) -> None:
    """Header bomb: counted on the raw bytes before the parser holds them all as objects."""
    end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0),
              default=len(raw))
    block = raw[:end]
    if end > limits.max_header_bytes:
        raise HeaderBomb(f"the header block is larger than {limits.max_header_bytes} bytes")
    fields = sum(1 for line in block.splitlines() if line and line[:1] not in b" \t")
    if fields > limits.max_header_fields:
        raise HeaderBomb(f"more than {limits.max_header_fields} header fields")


def _headers(message: Message) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name in (*ADDRESS_HEADERS, "Subject", "Message-ID", "Date"):
        raw = [v for n, v in message.raw_items() if n.lower() == name.lower()]
        if any(_has_8bit(v) for v in raw):
            # Raw Shift_JIS / UTF-8 bytes: the header classes would turn them into U+FFFD.
            values = [_decode_8bit("".join(v.splitlines()).strip()) for v in raw]
        else:
            values = header_values(message, name)
        if values:
            out[name] = values
    return out


def _has_8bit(value: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in value)


def _decode_8bit(value: str) -> str:
    """Raw 8-bit header bytes (Shift_JIS or UTF-8 without encoded words) come through the
    parser as surrogate escapes: decode them as Japanese text."""
    if not _has_8bit(value):
        return value
    data = value.encode("utf-8", errors="surrogateescape")
    try:
        return decode_japanese_text(data)[0]
    except UnsupportedTextEncoding:
        return decode_lossy(data)


def _walk(message: Message, analysis: MailAnalysis, limits: MailLimits) -> None:
    """Depth-first, iteratively (no recursion on sender-controlled nesting), bounded."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    texts: list[str] = []
    while stack:
        part, depth = stack.pop()
        analysis.parts += 1
        if analysis.parts > limits.max_parts:
            raise TooManyParts(f"more than {limits.max_parts} MIME parts")
        if depth > limits.max_depth:
            raise NestingTooDeep(f"multipart nesting deeper than {limits.max_depth}")
        content_type = part.get_content_type()
        if content_type in OPAQUE_TYPES:
            analysis.opaque.append(_part("opaque", part, len(analysis.opaque) + 1))
            continue
        if part.is_multipart() and content_type != MESSAGE_RFC822:
            payload = part.get_payload()
            children = [c for c in payload if isinstance(c, Message)] \
                if isinstance(payload, list) else []
            stack.extend((child, depth + 1) for child in reversed(children))
            continue
        _leaf(part, analysis, texts)
    analysis.body_text = "\n".join(texts)


def _leaf(part: Message, analysis: MailAnalysis, texts: list[str]) -> None:
    content_type = part.get_content_type()
    name = file_name(part)
    if content_type in SIGNATURE_TYPES:
        analysis.signatures += 1
    elif content_type in TNEF_TYPES or name.lower() == TNEF_NAME:
        analysis.tnef.append(_part("tnef", part, len(analysis.tnef) + 1))
    elif content_type in BODY_TYPES and not _is_attachment(part):
        data = _payload(part)
        if INLINE_PGP in data:  # inline PGP: as opaque as PGP/MIME
            analysis.opaque.append(_part("opaque", part, len(analysis.opaque) + 1))
            return
        text = decode_body(part, data)
        if content_type == "text/html":
            text = html_to_text(text, keep_links=True).text
        texts.append(text)
        analysis.body_parts.append(part)
    else:
        analysis.attachments.append(_part("attachment", part, len(analysis.attachments) + 1))


def _part(kind: str, part: Message, position: int) -> MailPart:
    if part.get_content_type() == MESSAGE_RFC822:
        data = _attached_message(part)
        if data is None:
            raise MalformedMail("an attached message cannot be read")
    elif part.is_multipart():
        data = part.as_bytes()
    else:
        data = _payload(part)
    name = file_name(part) or f"part-{position}"
    return MailPart(kind, name, part.get_content_type(), data, position, part)


def _payload(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _is_attachment(part: Message) -> bool:
    try:
        return part.get_content_disposition() == "attachment" or part.get_filename() is not None
    except (ValueError, LookupError, email.errors.HeaderParseError):
        return True


def file_name(part: Message) -> str:
    """The decoded file name: RFC 2231 (filename*=) and RFC 2047 (name="=?...?=") are
    decoded by the parser; raw 8-bit names are decoded as Japanese text. Path parts and
    invisible controls are removed (a bidi override can spoof an extension)."""
    try:
        raw = part.get_filename() or ""
    except (ValueError, LookupError, email.errors.HeaderParseError):
        raw = ""
    if "=?" in raw:  # some mailers put encoded words inside an RFC 2231 or quoted value
        raw = str(email.header.make_header(email.header.decode_header(raw)))
    name = _decode_8bit(raw)
    return clean_name_segment(name.replace("\\", "/").rsplit("/", 1)[-1])


def decode_body(part: Message, data: bytes) -> str:
    """A text part's declared charset (Shift_JIS / ISO-2022-JP mapped to the Windows
    supersets), else detected from the bytes."""
    codec = codec_for_label(part.get_content_charset() or "us-ascii")
    if codec is not None and codec != "ascii":
        try:
            return data.decode(codec)
        except UnicodeError:
            pass
    try:
        return decode_japanese_text(data)[0]
    except UnsupportedTextEncoding:
        return decode_lossy(data)


def _check_attachments(analysis: MailAnalysis, limits: MailLimits) -> None:
    items = [*analysis.attachments, *analysis.tnef, *analysis.opaque]
    if len(items) > limits.max_attachments:
        raise TooManyAttachments(f"more than {limits.max_attachments} attachments")
    if sum(p.size for p in items) > limits.max_attachment_bytes:
        raise AttachmentsTooLarge(f"attachments exceed {limits.max_attachment_bytes} bytes")
