"""The classification of an outbound message (service.mail.outbound): the body and each
attachment are read and labelled, and a label sekisho wrote earlier is honoured."""

from __future__ import annotations

from typing import Any

from core.errors import SekishoError
from core.labels import Label
from core.profiles import Profile
from handlers import detect_content_type, read_label
from service.mail.analysis import MailPart
from service.mail.outbound_context import (
    BODY_ID,
    BODY_NAME,
    Context,
    Item,
    Refusal,
    ascii_name,
    sekisho_failure,
)
from service.pipeline import read_and_classify


def classify(ctx: Context, *, with_attachments: bool) -> list[Item]:
    analysis = ctx.analysis
    assert analysis is not None
    body = f"件名: {analysis.subject}\n{analysis.body_text}".encode()
    items = [_item(ctx, BODY_ID, BODY_NAME, body, "text/plain", None)]
    if with_attachments:
        for part in analysis.attachments:
            items.append(_item(ctx, f"attachment-{part.position}", part.name, part.data,
                               part.content_type, part))
    return items


def _item(ctx: Context, item_id: str, name: str, data: bytes, declared: str,
          part: MailPart | None) -> Item:
    try:
        mime = detect_content_type(data, name, declared).mime
        existing = _existing_label(data, mime, ctx.profile)
        reading = read_and_classify(data, mime, ctx.profile, ner=ctx.rt.settings.ner)
    except SekishoError as exc:
        if sekisho_failure(exc):
            raise
        raise item_refusal(name, exc) from exc
    label = reading.floor
    if existing is not None:
        label = label.combine(Label.from_dict(existing))
    return Item(item_id, name, data, mime, label, part, existing)


def _existing_label(data: bytes, mime: str, profile: Profile) -> dict[str, Any] | None:
    """A label sekisho wrote earlier (LBL-01) is honoured: the mail never goes below it."""
    try:
        found = read_label(data, mime)
    except Exception:  # no handler, or an unreadable property store: no label to honour
        return None
    if not isinstance(found, dict) or found.get("profile") != profile.id:
        return None
    try:
        Label.from_dict(found)
    except Exception:
        return None
    return dict(found)


def item_refusal(name: str, exc: SekishoError) -> Refusal:
    return Refusal(f"添付ファイル「{name}」を検査・無害化できないため送信できません ({exc.code})",
                   f"attachment {ascii_name(name)} cannot be inspected or sanitised "
                   f"({exc.code}); it may not be sent outside",
                   [{"rule": exc.code, "outcome": "deny", "ref": "issue 7, item 3",
                     "message": exc.message, "documents": [name]}])
