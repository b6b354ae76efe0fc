"""MailHandler: an e-mail message (RFC 5322 / MIME) rebuilt from an allow-list.

Chiba 2(12) 無害化 of mail from the internet: the body becomes plain text (HTML through the
HTML-to-text converter), and every attachment goes through its own handler, recursively,
by ``CleanOptions.member_cleaner`` (issue 4). The output is a new message: allow-listed
headers (handlers/mail/headers.py), a UTF-8 text/plain body, and the cleaned attachments
under their new content types and names (handlers/mail/build.py).

Attachments the member cleaner refuses (unsupported, encrypted, corrupt, over a limit) are
dropped and counted by error code, never named: a file name is content. A refusal that
concerns the whole job (a malware detection) refuses the message. Without a member cleaner,
a message that has attachments is refused (MemberCleanerMissing), never passed on with its
attachments unexamined; a message without attachments needs none.

Labels (Chiba 6.2(2), LBL-01): the header X-Sekisho-Classification carries the label as
canonical JSON (``read_label`` reads it); the visible stamp is the first line of the body.
Verification re-parses the output and checks the headers, the body and the structure; the
attachments were each verified by their own handler when they were cleaned.
"""

from __future__ import annotations

from collections import Counter
from email.message import Message

from core.errors import CorruptFile, SekishoError
from handlers.archive.nested import (
    check_depth,
    clean_member,
    is_member_refusal,
    name_for_type,
    require_cleaner,
)
from handlers.base import Handler, Inspection, LabelStamp
from handlers.extract import extract
from handlers.extract.mail import MESSAGE_RFC822
from handlers.labelcodec import decode_label, encode_label
from handlers.limits import check_size
from handlers.mail.build import OutputAttachment, build_message
from handlers.mail.headers import (
    ACTIVE_HEADER_KINDS,
    LABEL_HEADER,
    dropped_headers,
    kept_headers,
)
from handlers.mail.limits import MAX_ATTACHMENT_BYTES, MAX_MAIL_BYTES, AttachmentsTooLarge
from handlers.mail.structure import MailContent, parse_message, read_content
from handlers.text import count_invisible, count_label_markers, normalise_text, visible_line

_TEXT_PLAIN = "text/plain"


class MailHandler(Handler):
    """message/rfc822 in, message/rfc822 out: headers allow-listed, body as text,
    attachments cleaned by their own handlers."""

    mime_types = frozenset({MESSAGE_RFC822})
    output_mime_types = frozenset({MESSAGE_RFC822})
    label_metadata_keys = frozenset({LABEL_HEADER})

    _message: Message
    _content: MailContent
    _headers: list[tuple[str, object]]
    _malformed_headers: int
    _member_reports: list[dict[str, object]]

    def _load(self) -> None:
        check_size(self._untrusted_data, MAX_MAIL_BYTES)
        check_depth(self.options.depth)
        self._member_reports = []
        self._message = parse_message(self._untrusted_data)
        # A mail body keeps its link targets as plain text, "label (URL)" (issue 7, item 4:
        # "links shown as text"): text/plain cannot be clicked, and the target shown beside
        # the label exposes a phishing link. remove_links still applies to the attachments
        # (the member cleaner carries the profile's options).
        self._content = read_content(self._message, keep_links=True)
        self._headers, self._malformed_headers = kept_headers(self._message)
        if not any(name in {"Date", "From"} for name, _value in self._headers):
            # RFC 5322 requires both; without either the rebuilt message is not recognisable
            # as a message at all.
            raise CorruptFile("the message has neither a usable From nor a Date field")

    # --- inspection -------------------------------------------------------------------------

    def _body_text(self) -> str:
        return "\n".join(body.rstrip("\n") + "\n" for body in self._content.bodies if body)

    def inspect(self) -> Inspection:
        header_kinds, metadata = dropped_headers(self._message)
        active = Counter(self._content.active)
        hidden = Counter(self._content.hidden)
        for kind, count in header_kinds.items():
            (active if kind in ACTIVE_HEADER_KINDS else hidden)[kind] += count
        invisible = count_invisible(self._body_text())
        active["bidi_control"] += invisible.get("bidi_control", 0)
        hidden["control_character"] += invisible.get("control_character", 0)
        hidden["label_marker"] += count_label_markers(self._body_text())
        hidden["malformed_header"] += self._malformed_headers
        label = (LABEL_HEADER,) if self._message.get(LABEL_HEADER) is not None else ()
        return Inspection(
            mime=MESSAGE_RFC822,
            metadata_keys=(*metadata, *label),
            active_content={k: n for k, n in active.items() if n},
            hidden_data={k: n for k, n in hidden.items() if n},
            properties=self._properties(),
            notices={"hidden_text": self._content.hidden_elements}
            if self._content.hidden_elements else {},
        )

    def _properties(self) -> dict[str, str | int | bool]:
        return {
            "parts": self._content.parts,
            "attachments": len(self._content.attachments),
            "body_parts": len(self._content.bodies),
            "undecodable_body_parts": self._content.undecodable_bodies,
        }

    def extract_text(self) -> str:
        # The classifier's reader: headers, every body and every attachment, recursively
        # (without OCR, as for archives).
        return extract(self._untrusted_data, MESSAGE_RFC822, ocr=False).text

    # --- cleaning ---------------------------------------------------------------------------

    def _sanitise(self) -> tuple[bytes, dict[str, int]]:
        body, removed = normalise_text(self._body_text())
        inspection = self.inspect()
        removed.update(inspection.removable())
        removed.update({key: 1 for key in inspection.metadata_keys})
        if self._content.undecodable_bodies:
            # Bytes no supported encoding reads became U+FFFD (as the classifier reads them):
            # refusing the message for one stray byte would stop legitimate mail.
            removed["undecodable_text"] = self._content.undecodable_bodies
        attachments, dropped = self._clean_attachments()
        removed.update(dropped)
        return build_message(self._headers, body, attachments), removed

    def _clean_attachments(self) -> tuple[list[OutputAttachment], Counter[str]]:
        cleaned: list[OutputAttachment] = []
        dropped: Counter[str] = Counter()
        self._member_reports = []
        if self._content.attachments:
            require_cleaner(self.options)
        for attachment in self._content.attachments:
            fallback = f"attachment-{attachment.position}"
            try:
                result = clean_member(self.options, attachment.data, attachment.name or fallback)
            except SekishoError as exc:
                if not is_member_refusal(exc):
                    raise
                dropped["attachment_dropped"] += 1
                dropped[f"attachment_dropped:{exc.code}"] += 1
                self._member_reports.append(
                    {"position": attachment.position, "dropped": exc.code})
                continue
            self._member_reports.append({"position": attachment.position, "mime": result.mime,
                                         "report": dict(result.report)})
            name = name_for_type(attachment.name or fallback, result.mime)
            cleaned.append(OutputAttachment(result.data, result.mime, name))
        if sum(len(a.data) for a in cleaned) > MAX_ATTACHMENT_BYTES:
            raise AttachmentsTooLarge(f"cleaned attachments exceed {MAX_ATTACHMENT_BYTES} bytes")
        return cleaned, dropped

    @property
    def member_reports(self) -> list[dict[str, object]]:
        """Per attachment of the last ``clean()``, by position: the cleaned type and the
        member cleaner's report, or the code it was dropped for. Never names or content."""
        return list(self._member_reports)

    def _output_problems(self) -> list[str]:
        problems = [] if self._is_rebuilt_structure() else ["structure"]
        label = self._message.get(LABEL_HEADER)
        if label is not None and _canonical_label(str(label)) is None:
            problems.append("label_header")
        return problems

    def _is_rebuilt_structure(self) -> bool:
        """Our output: one UTF-8 text/plain body, alone or first in a multipart/mixed whose
        other parts are all attachments."""
        message = self._message
        if message.get_content_type() == _TEXT_PLAIN:
            return _is_utf8_text(message)
        if message.get_content_type() != "multipart/mixed":
            return False
        payload = message.get_payload()
        parts = [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
        if not parts or len(parts) != len(payload) or not _is_utf8_text(parts[0]):
            return False
        return all(p.get_content_disposition() == "attachment" and (
            not p.is_multipart() or p.get_content_type() == MESSAGE_RFC822) for p in parts[1:])

    # --- labels -----------------------------------------------------------------------------

    @classmethod
    def write_label(cls, cleaned: bytes, stamp: LabelStamp) -> bytes:
        # Only a verified clean message is labelled; the labelled one is verified again.
        cls.verify(cleaned)
        with cls.open(cleaned) as mail:
            labelled = mail._relabelled(stamp)
        cls.verify(labelled)
        return labelled

    def _relabelled(self, stamp: LabelStamp) -> bytes:
        attachments = [OutputAttachment(a.data, a.content_type, a.name)
                       for a in self._content.attachments]
        body = f"{visible_line(stamp)}\n\n{self._unlabelled_body()}"
        return build_message(self._headers, body, attachments, encode_label(stamp.label))

    def _unlabelled_body(self) -> str:
        # A verified message carries our header only after write_label, which also wrote
        # the visible line and a blank line first: relabelling replaces them.
        body = self._body_text()
        if self._message.get(LABEL_HEADER) is None:
            return body
        _visible, separator, rest = body.partition("\n\n")
        return rest if separator else body

    @classmethod
    def read_label(cls, data: bytes) -> dict[str, object] | None:
        try:
            message = parse_message(data)
        except CorruptFile:
            return None
        value = message.get(LABEL_HEADER)
        return None if value is None else _canonical_label(str(value))


def _is_utf8_text(part: Message) -> bool:
    return (part.get_content_type() == _TEXT_PLAIN and not part.is_multipart()
            and part.get_content_charset() == "utf-8"
            and part.get_content_disposition() != "attachment")


def _canonical_label(value: str) -> dict[str, object] | None:
    """The label in a header value, only when it is exactly our canonical encoding."""
    label = decode_label(value)
    if label is None or encode_label(label) != value:
        return None
    return label
