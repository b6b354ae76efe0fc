"""What the outbound mail decision (service.mail.outbound) passes between its steps: the
message being decided (:class:`Context`), its classified body and attachments
(:class:`Item`), a policy refusal (:class:`Refusal`, a 5xx) and the answer
(:class:`Outcome`), with the small helpers every step shares."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.errors import (
    ContentRejected,
    ConverterUnavailable,
    ProcessingTimeout,
    ResourceLimitExceeded,
    SekishoError,
    UnsupportedContent,
)
from core.labels import Label
from core.profiles import Profile
from service.mail.analysis import MailAnalysis, MailPart
from service.mail.result import REJECT_STATUS, Envelope, Notification
from service.runtime import Runtime

SOURCE = "mail_outbound"
BODY_ID, BODY_NAME = "body", "本文"


def sekisho_failure(exc: SekishoError) -> bool:
    """sekisho's own failure (4xx) rather than a refusal of the content (5xx)."""
    if isinstance(exc, ProcessingTimeout | ResourceLimitExceeded | ConverterUnavailable):
        return True
    return not isinstance(exc, ContentRejected | UnsupportedContent)


@dataclass
class Item:
    """The body (a pseudo-document "本文") or one attachment, classified."""

    id: str
    name: str
    data: bytes = field(repr=False)
    mime: str
    label: Label
    part: MailPart | None = None
    existing_label: dict[str, Any] | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def entry(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size": len(self.data),
                "label": self.label.to_dict()}


class Refusal(Exception):
    """A policy answer that ends processing with a 5xx (caught in process_outbound)."""

    def __init__(self, ja: str, en: str, reasons: list[dict[str, Any]],
                 status: str = REJECT_STATUS) -> None:
        super().__init__(en)
        self.ja, self.en, self.reasons, self.status = ja, en, reasons, status


@dataclass
class Outcome:
    decision: str
    reasons: list[dict[str, Any]]
    message: bytes | None = None
    notifications: list[Notification] = field(default_factory=list)
    ja: str = ""
    en: str = ""


@dataclass
class Context:
    rt: Runtime
    profile: Profile
    envelope: Envelope
    analysis: MailAnalysis | None = None
    recipients: tuple[str, ...] = ()
    external: tuple[str, ...] = ()
    items: list[Item] = field(default_factory=list)


def ascii_name(name: str) -> str:
    """An ASCII-safe rendering of a file name for the English line."""
    if name.isascii():
        return f'"{name}"'
    return '"' + name.encode("ascii", errors="backslashreplace").decode("ascii") + '"'


def ascii_names(parts: Sequence[MailPart]) -> str:
    return ", ".join(ascii_name(p.name) for p in parts)


def ascii_items(ctx: Context, ids: Sequence[str]) -> str:
    chosen = [i for i in ctx.items if i.id in ids] or ctx.items
    return ", ".join(ascii_name(i.name) for i in chosen)
