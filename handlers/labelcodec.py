"""One serialisation of a label for every format that embeds it (Chiba 6.2(2), LBL-01)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from handlers.limits import MAX_LABEL_CHARS, LabelTooLarge


def encode_label(label: Mapping[str, object]) -> str:
    """Canonical JSON (sorted keys, no spaces, Japanese kept readable in file properties)."""
    encoded = json.dumps(dict(label), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if len(encoded) > MAX_LABEL_CHARS:
        raise LabelTooLarge(f"label of {len(encoded)} characters exceeds {MAX_LABEL_CHARS}")
    return encoded


def decode_label(untrusted_text: str) -> dict[str, object] | None:
    """Parse a label read back from a file; anything but a bounded JSON object is no label."""
    if len(untrusted_text) > MAX_LABEL_CHARS:
        return None
    try:
        value = json.loads(untrusted_text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
