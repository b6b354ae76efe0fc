"""POST /v1/mail/outbound and /v1/mail/inbound (issue 7, item 1): the gateway decision for
gateways that prefer HTTP to the milter.

The body is the raw RFC 5322 message (``Content-Type: message/rfc822``, else 415); the
envelope comes from the query (``mail_from``, repeated ``rcpt_to``), else from the message's
headers. The answer is the decision (service.mail.result.MailResult.to_dict) plus
``message_base64`` when the message was rewritten. Only the ``gateway`` role may call.
"""

from __future__ import annotations

import base64
import email.utils
from collections.abc import Callable
from typing import Any

from flask import Blueprint, request

from core.errors import InvalidRequest, PayloadTooLarge, UnsupportedContent
from core.roles import GATEWAY
from service.auth import require_roles
from service.mail.result import Envelope, MailResult
from service.runtime import Runtime, db_session, runtime

bp = Blueprint("mail", __name__, url_prefix="/v1/mail")
MESSAGE_TYPE = "message/rfc822"
MAX_ADDRESS = 320  # RFC 5321: 64 local part + @ + 255 domain
MAX_RECIPIENTS = 1000

Processor = Callable[[Runtime, bytes, Envelope], MailResult]


def _raw_message() -> bytes:
    content_type = (request.mimetype or "").lower()
    if content_type != MESSAGE_TYPE:
        raise UnsupportedContent(f"the body must be {MESSAGE_TYPE}, not "
                                 f"{content_type or 'missing'}")
    limit = runtime().settings.max_upload_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the message exceeds the limit of {limit} bytes")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise PayloadTooLarge(f"the message exceeds the limit of {limit} bytes")
    if not raw:
        raise InvalidRequest("the body is empty: a message/rfc822 message is required")
    return raw


def _address(value: str, name: str) -> str:
    value = value.strip()
    if len(value) > MAX_ADDRESS or (value and "@" not in value):
        raise InvalidRequest(f"{name}: not an e-mail address")
    return value


def _envelope(raw: bytes) -> Envelope:
    mail_from = _address(request.args.get("mail_from", ""), "mail_from")
    rcpt = tuple(_address(v, "rcpt_to") for v in request.args.getlist("rcpt_to") if v.strip())
    if len(rcpt) > MAX_RECIPIENTS:
        raise InvalidRequest(f"rcpt_to: at most {MAX_RECIPIENTS} recipients")
    if not mail_from:  # fallback: the From header (the recipients fall back in the decision)
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        message = email.message_from_bytes(head + b"\r\n\r\n")
        found = email.utils.getaddresses([str(v) for v in message.get_all("From") or []])
        mail_from = next((a for _n, a in found if "@" in a), "")
    return Envelope(mail_from, rcpt, request.remote_addr)


def _answer(process: Processor) -> dict[str, Any]:
    raw = _raw_message()
    envelope = _envelope(raw)
    # The decision writes in its own transactions: the request's session holds nothing.
    db_session().close()
    result = process(runtime(), raw, envelope)
    body = result.to_dict()
    if result.message is not None:
        body["message_base64"] = base64.b64encode(result.message).decode("ascii")
    return body


@bp.post("/outbound")
@require_roles(GATEWAY)
def outbound() -> dict[str, Any]:
    from service.mail.outbound import process_outbound

    return _answer(process_outbound)


@bp.post("/inbound")
@require_roles(GATEWAY)
def inbound() -> dict[str, Any]:
    from service.mail.inbound import process_inbound  # the inbound helper's module

    return _answer(process_inbound)


_COMMON_QUERY = {"mail_from": "the envelope sender (default: the From header)",
                 "rcpt_to": "an envelope recipient; repeat for each (default: To/Cc/Bcc)"}
_ANSWER = ("JSON: decision (reject | rewrite | pass | tempfail), smtp {code, status, text_ja, "
           "text_en}, reasons, headers (X-Sekisho-Decision / -Record / -Label to add), "
           "record_id (the exchange record), notifications (to, subject; never the body), and "
           "message_base64 when the message was rewritten.")
OPENAPI_DOCS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/mail/outbound"): {
        "summary": "Outbound gateway decision (issue 7): the body and every attachment are "
                   "classified (existing labels read) and the profile decides per external "
                   "recipient: reject (550 5.7.1, Japanese and English text naming the "
                   "attachment and the rule; a 機密性3 attachment without a recorded approval is "
                   "always refused), rewrite (attachments sanitised, labelled and encrypted; "
                   "the password goes to the SENDER as a notification, never in the message; "
                   "many external recipients moved to Bcc) or pass (metadata stripped). "
                   "Malformed or over-limit messages: reject with a stable code; sekisho's own "
                   "failure: tempfail (451), never pass. " + _ANSWER,
        "raw_body": "message/rfc822", "query": _COMMON_QUERY,
        "errors": {"400": "bad envelope parameter or empty body", "413": "over the size limit",
                   "415": "the body is not message/rfc822"}},
    ("POST", "/v1/mail/inbound"): {
        "summary": "Inbound gateway decision (issue 7, 無害化 Chiba 2(12)): HTML bodies become "
                   "text, attachments are disarmed or converted by the profile's inbound "
                   "mode, unsupported and executable attachments removed with a notice, "
                   "malware quarantines the message (kept encrypted). " + _ANSWER,
        "raw_body": "message/rfc822", "query": _COMMON_QUERY,
        "errors": {"400": "bad envelope parameter or empty body", "413": "over the size limit",
                   "415": "the body is not message/rfc822"}},
}
