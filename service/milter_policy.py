"""What the milter does around a decision (issue 7, items 1 and 5), kept apart from pymilter
so that it can be read and tested without an MTA: which direction a message goes, the
decision in time or a temporary failure (fail closed), the ASCII-only SMTP reply, the header
edits a rewritten message needs (the notifications and their relay: service.mail.notify)."""

from __future__ import annotations

import base64
import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import parseaddr
from typing import TYPE_CHECKING, Literal

from service.mail.result import MailResult, tempfail

if TYPE_CHECKING:
    from core.profiles import Profile
    from service.mail.result import Envelope
    from service.runtime import Runtime

log = logging.getLogger("sekisho.milter")

Direction = Literal["outbound", "inbound"]
Decider = Callable[["Runtime", bytes, "Envelope"], MailResult]

# SMTP reply lines are ASCII (RFC 5321 4.2); one line stays well under the 512-octet limit,
# and libmilter accepts at most 32 lines in a multi-line reply.
REPLY_LINE_CHARS = 400
MAX_REPLY_LINES = 32
# Trace headers are the MTA's, not the message's: a rewrite never deletes them.
TRACE_HEADERS = frozenset({"received", "return-path", "delivered-to", "x-original-to"})
OUR_PREFIX = "x-sekisho-"


@dataclass(frozen=True)
class FailurePolicy:
    """The profile's mail settings the milter applies when there is no decision in time."""

    timeout_seconds: float
    fail_open_levels: frozenset[str]
    default_level: str

    @classmethod
    def of(cls, profile: Profile) -> FailurePolicy:
        spec = profile.document.mail
        return cls(spec.timeout_seconds, frozenset(spec.fail_open_levels),
                   profile.document.default_label.confidentiality)


def choose_direction(configured: str, mail_from: str, internal_domains: Iterable[str]) -> Direction:
    """``outbound`` / ``inbound`` as configured; ``auto``: a sender in an internal domain is
    outbound, anyone else inbound (an unknown sender is treated as the internet)."""
    if configured in ("outbound", "inbound"):
        return configured  # type: ignore[return-value]
    domain = parseaddr(mail_from)[1].rpartition("@")[2].lower().rstrip(".")
    for entry in (d.lower().lstrip(".") for d in internal_domains):
        if domain and (domain == entry or domain.endswith("." + entry)):
            return "outbound"
    return "inbound"


def decide_in_time(decider: Decider, rt: Runtime, raw: bytes, envelope: Envelope,
                   policy: FailurePolicy) -> MailResult:
    """Run the decision in its own thread and wait at most the profile's timeout.

    Issue 7, item 5: a decision that does not come in time, or fails, is a temporary
    failure: the sending MTA keeps the message and retries; the original is never passed
    (domestic gateways forward the original when their sanitiser times out; sekisho must
    not). Fail open only for the levels the profile lists, and only when they are known."""
    box: list[MailResult | BaseException] = []
    done = threading.Event()

    def work() -> None:
        try:
            box.append(decider(rt, raw, envelope))
        except BaseException as exc:  # reported to the waiting thread, which fails closed
            box.append(exc)
        finally:
            done.set()

    # A daemon thread: a decision stuck in a parser must not keep the milter from exiting.
    threading.Thread(target=work, name="sekisho-decision", daemon=True).start()
    if not done.wait(policy.timeout_seconds):
        log.warning("no decision within %.1f s: temporary failure", policy.timeout_seconds)
        return _failed(raw, policy, "timeout",
                       f"判定が{policy.timeout_seconds:g}秒以内に終わらなかったため一時的に受け付けません",
                       f"no decision within {policy.timeout_seconds:g} s; try again later")
    outcome = box[0]
    if isinstance(outcome, BaseException):
        log.error("the decision failed: %s", type(outcome).__name__, exc_info=outcome)
        return _failed(raw, policy, "error", "判定中に障害が発生したため一時的に受け付けません",
                       f"the gateway could not decide ({type(outcome).__name__}); "
                       "try again later")
    if not isinstance(outcome, MailResult):
        return _failed(raw, policy, "error", "判定結果が不正なため一時的に受け付けません",
                       "the gateway returned no decision; try again later")
    return outcome


def _failed(raw: bytes, policy: FailurePolicy, why: str, ja: str, en: str) -> MailResult:
    # Reading the parts' labels is only worth it when the profile allows failing open: the
    # default (fail closed) answers at once, without parsing anything more.
    levels = known_levels(raw, policy.default_level) if policy.fail_open_levels else None
    if policy.fail_open_levels and levels is not None and levels <= policy.fail_open_levels:
        log.warning("fail open (%s): every part is at %s", why, ",".join(sorted(levels)))
        return MailResult("pass", 250, "2.0.0", ja, en, reasons=[{"ref": "issue7-5",
                          "code": f"fail_open_{why}"}],
                          add_headers=[("X-Sekisho-Decision", f"pass (fail-open: {why})")])
    return tempfail(ja, en, reasons=[{"ref": "issue7-5", "code": f"fail_closed_{why}"}],
                    add_headers=[("X-Sekisho-Decision", f"tempfail ({why})")])


def known_levels(raw: bytes, default_level: str) -> set[str] | None:
    """The confidentiality levels of the message's parts when every one is known without
    classifying: attachments by the label already embedded in them (a file without one is
    unknown: None), the text body at the profile's default label. Anything unreadable:
    None, so the caller fails closed."""
    try:
        from handlers.detect import detect
        from handlers.labelling import read_label
        from handlers.mail.structure import parse_message, read_content

        content = read_content(parse_message(raw), keep_links=False)
        levels = {default_level}
        for attachment in content.attachments:
            mime = detect(attachment.data, attachment.name, attachment.content_type).mime
            label = read_label(attachment.data, mime)
            level = label.get("confidentiality") if label else None
            if not isinstance(level, str):
                return None
            levels.add(level)
        return levels
    except Exception:  # fail closed: whatever cannot be read is not known
        return None


# --- the SMTP reply -------------------------------------------------------------------------

def _ascii_words(text: str) -> str:
    """``text`` on one ASCII line: control characters dropped, each non-ASCII word as an
    RFC 2047 encoded-word (so a Japanese attachment name stays readable by a client that
    decodes them), and '%' spelt out (libmilter drops a reply with a single '%' and passes a
    doubled one on as it is)."""
    words = []
    for word in re.sub(r"[\x00-\x1f\x7f]+", " ", text).split():
        if word.isascii():
            words.append(word)
        else:
            words.append("=?UTF-8?B?" + base64.b64encode(word.encode()).decode() + "?=")
    return " ".join(words).replace("%", " percent")


def _chunks(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def reply_lines(result: MailResult) -> list[str]:
    """The reply text: the English explanation in ASCII first (what every MTA log and bounce
    shows), then the Japanese one base64-encoded in UTF-8 on ``ja-utf8-base64:`` lines (UTF-8
    is not allowed in SMTP replies; a DSN carries the lines verbatim and a reader decodes
    them)."""
    english = _ascii_words(result.smtp_text_en or result.decision)
    lines = _chunks(english, REPLY_LINE_CHARS)
    if result.smtp_text_ja:
        encoded = base64.b64encode(result.smtp_text_ja.encode()).decode()
        lines += ["ja-utf8-base64: " + c for c in _chunks(encoded, REPLY_LINE_CHARS - 16)]
    return lines[:MAX_REPLY_LINES]


# --- the header edits of a rewrite ------------------------------------------------------------

@dataclass(frozen=True)
class HeaderEdit:
    """``chgheader(name, index, value)`` (value "" deletes) or, with index 0, ``addheader``."""

    name: str
    index: int
    value: str


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n[ \t]+", " ", value).strip()


def _milter_value(value: str) -> str:
    """A header value as the MTA takes it: folds as LF + tab, no trailing line end."""
    return re.sub(r"\r?\n([ \t])", "\n\\1", value.strip("\r\n")).strip()


def split_message(data: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """The header fields (name, raw value) in order and the body, line ends as CRLF."""
    parsed: Message = BytesParser(policy=compat32).parsebytes(data, headersonly=True)
    headers = [(name, str(value)) for name, value in parsed.items()]
    match = re.search(rb"\r?\n\r?\n", data)
    body = data[match.end():] if match else b""
    return headers, re.sub(rb"\r?\n", b"\r\n", body)


def header_edits(original: Sequence[tuple[str, str]],
                 rewritten: Sequence[tuple[str, str]]) -> list[HeaderEdit]:
    """The edits that turn the original header fields into the rewritten message's: changed
    ones (MIME headers of a rebuilt body, To/Cc moved to Bcc), added ones, and deleted ones
    (headers the rewritten message no longer has). Trace headers are left alone; deletions
    run from the last occurrence back so that the indexes stay valid."""
    def by_name(fields: Sequence[tuple[str, str]]) -> dict[str, tuple[str, list[str]]]:
        out: dict[str, tuple[str, list[str]]] = {}
        for name, value in fields:
            out.setdefault(name.lower(), (name, []))[1].append(value)
        return out

    old, new = by_name(original), by_name(rewritten)
    edits: list[HeaderEdit] = []
    for key in [*old, *(k for k in new if k not in old)]:
        if key in TRACE_HEADERS or key.startswith(OUR_PREFIX):
            continue
        name = (new.get(key) or old[key])[0]
        before = old[key][1] if key in old else []
        after = new[key][1] if key in new else []
        for i, value in enumerate(after):
            if i >= len(before):
                edits.append(HeaderEdit(name, 0, _milter_value(value)))
            elif _unfold(value) != _unfold(before[i]):
                edits.append(HeaderEdit(name, i + 1, _milter_value(value)))
        edits.extend(HeaderEdit(name, i, "") for i in range(len(before), len(after), -1))
    return edits


def spoofed_header_deletions(original: Sequence[tuple[str, str]]) -> list[HeaderEdit]:
    """X-Sekisho-* fields the sender wrote themselves: deleted, only the gateway's count."""
    seen: dict[str, int] = {}
    edits = []
    for name, _value in original:
        if name.lower().startswith(OUR_PREFIX):
            seen[name.lower()] = seen.get(name.lower(), 0) + 1
            edits.append(HeaderEdit(name, seen[name.lower()], ""))
    return sorted(edits, key=lambda e: -e.index)
