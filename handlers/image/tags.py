"""EXIF and TIFF tag *names* of one frame (Pillow's ``getexif``): reported, never the values.

A photo's EXIF names the camera and its owner, the time and, through GPSInfo, the place
(Saitama 第3 4(3) 属性情報). For TIFF the same call returns the image file directory itself,
so the tags that decode the picture (TIFF 6.0 baseline and extensions below) are left out:
every other TIFF tag (Artist, Software, DateTime, HostComputer, XMP, IPTC, EXIF and GPS
pointers, private tags) is metadata the sanitiser removes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from PIL import ExifTags, TiffTags

from handlers.image.structure import EXIF, EXIF_THUMBNAIL, TIFF_TAGS

ORIENTATION = 274
#: Tags needed to decode a TIFF page: size, sampling, compression, strips and tiles, colour
#: interpretation, resolution. Orientation is applied to the pixels, never carried over.
TIFF_STRUCTURAL_TAGS = frozenset({
    254, 255, 256, 257, 258, 259, 262, 263, 266, 273, ORIENTATION, 277, 278, 279, 280, 281,
    282, 283, 284, 290, 291, 292, 293, 296, 317, 318, 319, 320, 322, 323, 324, 325, 332,
    338, 339, 340, 341, 347, 529, 530, 531, 532,
})
#: Name for the whole block when Pillow cannot parse it (the walker counted it already).
UNREADABLE_EXIF = "EXIF"


def tag_name(tag: int, table: dict[int, str] | None = None) -> str:
    """Registered name of a tag; unregistered tags by number (their names are unknown)."""
    name = (table or ExifTags.TAGS).get(tag) or TiffTags.lookup(tag).name
    return name if name and name != "unknown" else f"Tag{tag:#06x}"


def frame_metadata(image: Any, *, tiff: bool) -> tuple[set[str], Counter[str]]:
    """Metadata tag names of the current frame, and hidden kinds found through them."""
    names: set[str] = set()
    kinds: Counter[str] = Counter()
    try:
        exif = image.getexif()
        base = [tag for tag in exif if not (tiff and tag in TIFF_STRUCTURAL_TAGS)]
        details = exif.get_ifd(ExifTags.IFD.Exif)
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        # In a TIFF the next IFD is the next page, not a thumbnail.
        thumbnail = {} if tiff else exif.get_ifd(ExifTags.IFD.IFD1)
    except Exception:  # a damaged EXIF block: Pillow's parser raises many kinds
        names.add(UNREADABLE_EXIF)
        kinds[TIFF_TAGS if tiff else EXIF] += 1
        return names, kinds
    names.update(tag_name(tag) for tag in base)
    names.update(tag_name(tag) for tag in details)
    names.update(tag_name(tag, ExifTags.GPSTAGS) for tag in gps)
    if tiff and base:
        kinds[TIFF_TAGS] += len(base)
    if thumbnail:
        kinds[EXIF_THUMBNAIL] += 1
    return names, kinds


def orientation(image: Any) -> int:
    """The EXIF/TIFF orientation of the current frame (1: as stored)."""
    try:
        value = image.getexif().get(ORIENTATION, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1
