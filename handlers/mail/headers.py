"""Which header fields a cleaned message keeps, and how their values are rebuilt.

Kept (allow-list, in this order): the fields a reader and a reply need. Date and From come
first because that is how content-type detection recognises a message (libmagic needs one of
them, or a trace field, on the first line). Every value is decoded, stripped of control and
bidi characters and written again by the standard library, so nothing is copied raw: an
address list is re-parsed address by address, a date re-formatted, message ids reduced to
``<id>`` tokens.

Dropped, and why (Saitama 第3 4(3) 属性情報; Chiba 2(12)):

* trace fields (Received, Return-Path, Delivered-To, X-Originating-IP...): internal host
  names, addresses and routes;
* authentication results and signatures (DKIM, ARC, SPF): they no longer verify after the
  rebuild and name the internal servers;
* client fingerprints (X-Mailer, User-Agent, Organization, Thread-Index, X-MS-*...);
* read-receipt requests (Disposition-Notification-To, Return-Receipt-To): they report back
  when the message is opened, a beacon;
* Bcc: hidden recipients must never be released;
* everything else (X-*, List-*, Importance, Sender...): not on the list, so not kept.

Message-ID, In-Reply-To and References are kept so replies thread; they may name the
sender's mail host, which the sender put there for recipients to see.
"""

from __future__ import annotations

import email.utils
import re
from collections import Counter
from collections.abc import Iterator
from email.headerregistry import Address
from email.message import Message

from handlers.extract.mail import header_values
from handlers.text import strip_invisible

#: Header fields written to the cleaned message, in output order.
KEPT_HEADERS = ("Date", "From", "Reply-To", "To", "Cc", "Subject", "Message-ID",
                "In-Reply-To", "References")
ADDRESS_HEADERS = frozenset({"From", "Reply-To", "To", "Cc"})
#: Fields a message carries once; a second occurrence is dropped (and counted).
SINGLE_HEADERS = frozenset({"Date", "From", "Reply-To", "Subject", "Message-ID",
                            "In-Reply-To", "References"})
#: Our label (Chiba 6.2(2), LBL-01): the label as canonical JSON.
LABEL_HEADER = "X-Sekisho-Classification"
#: Fields rebuilt with the MIME structure rather than copied.
MIME_HEADERS = frozenset({"mime-version", "content-type", "content-transfer-encoding",
                          "content-disposition"})
#: Longest header value kept; a longer one is dropped (References chains, hostile input).
MAX_HEADER_VALUE_CHARS = 8_192

#: Dropped fields reported by name (``Inspection.metadata_keys``): fixed names, never values.
METADATA_HEADERS = ("X-Mailer", "User-Agent", "Organization", "X-Originating-IP",
                    "Thread-Index", "Thread-Topic", "X-MimeOLE")
_KINDS = {
    "received": "trace_header", "return-path": "trace_header",
    "delivered-to": "trace_header", "x-received": "trace_header",
    "x-original-to": "trace_header", "envelope-to": "trace_header",
    "dkim-signature": "authentication_header", "arc-seal": "authentication_header",
    "arc-message-signature": "authentication_header",
    "arc-authentication-results": "authentication_header",
    "authentication-results": "authentication_header", "received-spf": "authentication_header",
    "x-google-dkim-signature": "authentication_header",
    "disposition-notification-to": "read_receipt_request",
    "return-receipt-to": "read_receipt_request", "x-confirm-reading-to": "read_receipt_request",
    "bcc": "bcc_header",
}
#: Kinds that reach out of the message (reported as active content).
ACTIVE_HEADER_KINDS = frozenset({"read_receipt_request"})
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")


_KEPT_LOWER = frozenset(name.lower() for name in KEPT_HEADERS)
_METADATA_NAMES = {name.lower(): name for name in METADATA_HEADERS}


def header_kind(name: str) -> str | None:
    """The report kind of a header ``clean`` drops; None for kept, MIME and label fields."""
    lowered = name.lower()
    if lowered in MIME_HEADERS or lowered in _KEPT_LOWER or lowered == LABEL_HEADER.lower():
        return None
    if lowered in _METADATA_NAMES:
        return "metadata_header"
    return _KINDS.get(lowered, "other_header")


def dropped_headers(message: Message) -> tuple[Counter[str], list[str]]:
    """Kind -> count of the fields ``clean`` drops, and the metadata field names present."""
    kinds: Counter[str] = Counter()
    metadata: set[str] = set()
    names = [name.lower() for name in message.keys()]
    for name in names:
        kind = header_kind(name)
        if kind == "metadata_header":
            metadata.add(_METADATA_NAMES[name])
        elif kind is not None:
            kinds[kind] += 1
    for single in SINGLE_HEADERS:
        if (extra := names.count(single.lower()) - 1) > 0:
            kinds["duplicate_header"] += extra
    return kinds, sorted(metadata)


def kept_headers(message: Message) -> tuple[list[tuple[str, object]], int]:
    """The kept fields as ``(name, value)`` ready for an EmailMessage, and how many kept
    fields were dropped because their value could not be rebuilt."""
    kept: list[tuple[str, object]] = []
    malformed = 0
    for name in KEPT_HEADERS:
        values = header_values(message, name)
        for raw in values[:1] if name in SINGLE_HEADERS else values:
            value = _rebuild(name, _clean_value(raw))
            if value is None:
                malformed += 1
            else:
                kept.append((name, value))
    return _merge_addresses(kept), malformed


def _clean_value(untrusted_value: str) -> str:
    # Folding whitespace, CR/LF (header injection) and controls become single spaces.
    return " ".join(strip_invisible(" ".join(untrusted_value.split())).split())


def _rebuild(name: str, value: str) -> object | None:
    if not value or len(value) > MAX_HEADER_VALUE_CHARS:
        return None
    if name in ADDRESS_HEADERS:
        addresses = list(_addresses(value))
        return addresses or None
    if name == "Date":
        try:
            return email.utils.format_datetime(email.utils.parsedate_to_datetime(value))
        except (ValueError, TypeError, IndexError, OverflowError):
            return None
    if name in {"Message-ID", "In-Reply-To", "References"}:
        ids = _MESSAGE_ID.findall(value)
        return " ".join(ids[:1] if name == "Message-ID" else ids) or None
    return value


def _addresses(value: str) -> Iterator[Address]:
    for display_name, addr_spec in email.utils.getaddresses([value]):
        if not addr_spec:
            continue
        try:
            yield Address(display_name=display_name, addr_spec=addr_spec)
        except (ValueError, IndexError):
            continue  # an unparseable address is not rebuilt (and not copied raw)


def _merge_addresses(kept: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """To and Cc may occur more than once; the rebuilt message has each once."""
    merged: dict[str, object] = {}
    for name, value in kept:
        if name in merged and isinstance(value, list):
            existing = merged[name]
            merged[name] = [*existing, *value] if isinstance(existing, list) else value
        else:
            merged.setdefault(name, value)
    return list(merged.items())
