"""E-mail (RFC 5322 / MIME): addresses and subject, bodies, and every attachment.

Headers are decoded with the standard library (policy ``default``: RFC 2047 encoded words,
ISO-2022-JP included); Japanese mail that puts raw JIS escape sequences in a header without
encoded words is decoded too. text/plain and text/html bodies are read (HTML to text);
every other leaf part, and any part marked as an attachment, goes through ``extract`` one
level deeper with its type detected from its bytes, never from its declared Content-Type.
Attachments are named by position and detected type: a file name is content.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.errors
import email.header
import email.policy
import quopri
from email.message import Message

from core.errors import CorruptFile
from handlers.extract.collector import Collector
from handlers.extract.html import html_to_text
from handlers.extract.limits import MAX_MAIL_BYTES, MAX_MAIL_PARTS, MAX_MIME_DEPTH
from handlers.extract.plaintext import codec_for_label, decode_text
from handlers.extract.result import CORRUPT_PART, LIMIT_EXCEEDED
from handlers.limits import check_size

#: Headers read as text (addresses and names are personal data the classifier looks for).
TEXT_HEADERS = ("From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Subject")
#: Headers -> metadata key.
METADATA_HEADERS = {"From": "author", "Subject": "title", "Organization": "company",
                    "X-Mailer": "creator_tool", "User-Agent": "creator_tool", "Date": "date"}
_JIS_ESCAPES = ("\x1b$B", "\x1b$@", "\x1b(J", "\x1b(I")
MESSAGE_RFC822 = "message/rfc822"
_POLICY = email.policy.default


def extract_mail(untrusted_data: bytes, out: Collector) -> None:
    check_size(untrusted_data, MAX_MAIL_BYTES)
    try:
        message = email.message_from_bytes(untrusted_data, policy=_POLICY)
    except Exception as exc:  # the parser is lenient; anything it raises means unreadable
        raise CorruptFile(f"the message cannot be parsed ({type(exc).__name__})") from exc
    _headers(message, out)
    _walk(message, out)


def _headers(message: Message, out: Collector) -> None:
    lines: list[str] = []
    for name in TEXT_HEADERS:
        lines.extend(f"{name}: {value}" for value in header_values(message, name))
    out.add_text("\n".join(lines), "headers")
    for name, key in METADATA_HEADERS.items():
        for value in header_values(message, name):
            out.add_metadata(key, value)


def header_values(message: Message, name: str) -> list[str]:
    """Every decoded value of a header; a value the parser chokes on is read raw."""
    values = []
    for raw_name, raw_value in message.raw_items():
        if raw_name.lower() != name.lower():
            continue
        try:
            # header_fetch_parse unfolds first: encoded words folded over two lines are one
            # word again (header_factory on the raw value keeps "\r\n " inside the text).
            value = str(_POLICY.header_fetch_parse(raw_name, raw_value))
        except Exception:  # malformed address lists have crashed the header classes
            value = _decode_words("".join(raw_value.splitlines()))
        values.append(_decode_raw_jis(value))
    return values


def _decode_words(raw_value: str) -> str:
    """RFC 2047 words decoded without the header classes; the raw value if even that fails."""
    try:
        return str(email.header.make_header(email.header.decode_header(raw_value)))
    except (email.errors.HeaderParseError, LookupError, UnicodeError, ValueError):
        return raw_value


def _decode_raw_jis(value: str) -> str:
    if not any(escape in value for escape in _JIS_ESCAPES):
        return value
    try:
        return value.encode("ascii", errors="surrogateescape").decode("iso2022_jp_ext")
    except UnicodeError:
        return value


def _walk(message: Message, out: Collector) -> None:
    """Depth-first over the MIME tree, iteratively, with bounded depth and part count."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    seen = attachments = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_MAIL_PARTS or depth > MAX_MIME_DEPTH:
            out.add_incomplete(LIMIT_EXCEEDED, "mime_parts")
            return
        if part.get_content_type() == MESSAGE_RFC822 or not part.is_multipart():
            attachments += _leaf(part, out, attachments + 1)
            continue
        children = part.get_payload()
        if isinstance(children, list):
            stack.extend((child, depth + 1) for child in reversed(children)
                         if isinstance(child, Message))


def _leaf(part: Message, out: Collector, position: int) -> int:
    """Read one leaf part; returns 1 if it was an attachment, else 0."""
    content_type = part.get_content_type()
    if content_type == MESSAGE_RFC822:
        raw = _attached_message(part)
        if raw is None:
            out.add_incomplete(CORRUPT_PART, f"attachment[{position}]")
        else:
            out.add_embedded(raw, f"attachment[{position}]", mime=MESSAGE_RFC822)
        return 1
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    is_body = part.get_content_disposition() != "attachment" and content_type in {
        "text/plain", "text/html"}
    if is_body:
        text = _decode_body(part, data, out)
        if content_type == "text/html":
            html_to_text(text, out, prefix="html_")
        else:
            out.add_text(text, "body")
        return 0
    if data:
        out.add_embedded(data, f"attachment[{position}]")
        return 1
    return 0


def _attached_message(part: Message) -> bytes | None:
    """The bytes of an attached message/rfc822 part.

    RFC 2046 allows only 7bit/8bit/binary here, but mailers do base64-encode attached
    messages; the parser then sees the encoded text as a headerless message, so its body is
    decoded again here instead of being classified as base64 noise.
    """
    inner = part.get_payload()
    nested = inner[0] if isinstance(inner, list) and inner else None
    if not isinstance(nested, Message):
        return None
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    try:
        if encoding in {"base64", "quoted-printable"} and not nested.keys():
            body = nested.get_payload()
            text = body.encode("ascii", "surrogateescape") if isinstance(body, str) else b""
            return base64.b64decode(text) if encoding == "base64" else quopri.decodestring(text)
        return nested.as_bytes(policy=email.policy.compat32)
    except (RecursionError, ValueError, LookupError, UnicodeError, binascii.Error):
        return None


def _decode_body(part: Message, data: bytes, out: Collector) -> str:
    # us-ascii is the default label, and Japanese mail is often mislabelled with it: such
    # parts are detected from their bytes like plain text, as are wrong or unknown labels.
    codec = codec_for_label(part.get_content_charset() or "us-ascii")
    if codec is not None and codec != "ascii":
        try:
            return data.decode(codec)
        except UnicodeError:
            pass
    return decode_text(data, out, "body")

