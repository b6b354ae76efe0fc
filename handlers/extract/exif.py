"""EXIF (JPEG, TIFF, WebP, PNG eXIf) -> metadata: camera, times, people, GPS position.

Values come from Pillow's ``getexif()`` (headers only; no pixel decoding). Windows "XP" tags
are UTF-16LE; ``UserComment`` carries an 8-byte character-code prefix. The GPS position is
reported as decimal ``"lat,lon"`` (e.g. ``"35.681236,139.767125"``).
"""

from __future__ import annotations

import math
from typing import Any

from handlers.extract.collector import Collector
from handlers.extract.plaintext import decode_lossy
from handlers.extract.result import CORRUPT_PART

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
#: Base-IFD tags -> metadata key.
BASE_TAGS = {271: "camera_make", 272: "camera_model", 306: "datetime", 315: "artist",
             305: "software", 33432: "copyright", 0x9C9D: "author", 0x9C9B: "title",
             0x9C9F: "subject", 0x9C9E: "keywords"}
#: Exif-IFD tags -> metadata key.
EXIF_TAGS = {36867: "datetime_original", 42032: "camera_owner", 42033: "body_serial_number",
             42036: "lens_model", 42016: "image_unique_id"}
#: Free-text tags -> read as text (descriptions and comments people type).
_TEXT_TAGS = {270: "ImageDescription", 0x9C9C: "XPComment"}
_USER_COMMENT = 37510
_XP_TAGS = range(0x9C9B, 0x9CA0)


def add_exif(image: Any, out: Collector) -> None:
    try:
        exif = image.getexif()
        base = dict(exif)
        details = dict(exif.get_ifd(_EXIF_IFD))
        gps = dict(exif.get_ifd(_GPS_IFD))
    except Exception:  # a damaged EXIF block: Pillow's parser raises many kinds
        out.add_incomplete(CORRUPT_PART, "exif")
        return
    if not (base or details or gps):
        return
    out.add_part("exif")
    for tag, key in BASE_TAGS.items():
        out.add_metadata(key, _as_text(tag, base.get(tag)))
    for tag, key in EXIF_TAGS.items():
        out.add_metadata(key, _as_text(tag, details.get(tag)))
    position = gps_position(gps)
    if position is not None:
        out.add_metadata("gps", position)
    texts = [_as_text(tag, base.get(tag)) for tag in _TEXT_TAGS]
    texts.append(_user_comment(details.get(_USER_COMMENT)))
    out.add_text("\n".join(t for t in texts if t.strip()), "exif_text")


def _as_text(tag: int, value: object) -> str:
    if value is None:
        return ""
    if tag in _XP_TAGS:
        raw = bytes(value) if isinstance(value, bytes | tuple | list) else b""
        return raw.decode("utf-16-le", errors="replace").rstrip("\x00")
    if isinstance(value, bytes):
        return decode_lossy(value.rstrip(b"\x00"))
    return str(value).rstrip("\x00") if isinstance(value, str | int | float) else ""


def _user_comment(value: object) -> str:
    if not isinstance(value, bytes) or len(value) < 8:
        return value if isinstance(value, str) else ""
    prefix, body = value[:8], value[8:]
    if prefix.startswith(b"UNICODE"):
        # Byte order follows the TIFF header, which Pillow does not expose here: pick the
        # reading with fewer replacement characters.
        readings = [body.decode(c, errors="replace") for c in ("utf-16-le", "utf-16-be")]
        return min(readings, key=lambda t: t.count("\ufffd")).rstrip("\x00")
    return decode_lossy(body.rstrip(b"\x00 "))


def gps_position(gps: dict[int, Any]) -> str | None:
    """Decimal ``"lat,lon"`` from GPS IFD tags 1-4, or None when absent or invalid."""
    latitude = _degrees(gps.get(2), gps.get(1), limit=90)
    longitude = _degrees(gps.get(4), gps.get(3), limit=180)
    if latitude is None or longitude is None:
        return None
    return f"{_decimal(latitude)},{_decimal(longitude)}"


def _degrees(value: object, reference: object, *, limit: float) -> float | None:
    if not isinstance(value, tuple | list) or len(value) != 3:
        return None
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(result) or result > limit or result < 0:
        return None
    ref = reference.decode("ascii", "replace") if isinstance(reference, bytes) else reference
    return -result if isinstance(ref, str) and ref.strip().upper() in {"S", "W"} else result


def _decimal(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")
