"""Writing our label back into a cleaned file (design: strip everything, then write back
only our label; Chiba 6.2(2) label shown in file properties, LBL-01)."""

from __future__ import annotations

from handlers.base import LabelStamp
from handlers.registry import handler_for


def write_label(data: bytes, mime: str, stamp: LabelStamp) -> bytes:
    """Embed ``stamp`` into a cleaned file of type ``mime``; returns the verified new file.

    ``data`` must already be the output of ``clean()``: anything else fails verification.
    Formats without a property store (plain text for now) come back unchanged.
    """
    return handler_for(mime).write_label(data, stamp)


def read_label(data: bytes, mime: str) -> dict[str, object] | None:
    """The label embedded by ``write_label``, or None."""
    return handler_for(mime).read_label(data)
