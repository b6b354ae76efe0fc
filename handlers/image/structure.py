"""What an image file carries besides its pixels, read from the container structure itself.

Each format has a small walker over its own framing (JPEG markers, PNG chunks, GIF blocks,
RIFF chunks, the BMP header) that classifies every segment as structural (needed to decode
the picture) or as one of the kinds below. Walking the framing rather than trusting Pillow's
``info`` matters for verification: Pillow silently skips chunks it does not know, while
the walker counts them, so an output that still carried one would fail (fail closed).

Walkers never return content: only kinds and counts, and the names of registered metadata
blocks (Saitama 第3 4(3) 属性情報 is reported by presence, never by value).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# Hidden-data kinds (Inspection.hidden_data keys).
EXIF = "exif"
EXIF_THUMBNAIL = "exif_thumbnail"
THUMBNAIL = "thumbnails"
XMP = "xmp"
IPTC = "iptc"
ICC_PROFILE = "icc_profile"
COMMENTS = "comments"
TEXT_CHUNKS = "text_chunks"
TIMESTAMPS = "timestamps"
OTHER_SEGMENTS = "other_segments"
TRAILING_DATA = "trailing_data"
EXTRA_FRAMES = "extra_frames"
EXTRA_IMAGES = "extra_images"
UNPARSED_STRUCTURE = "unparsed_structure"
TIFF_TAGS = "tiff_tags"

#: Metadata key names reported for whole metadata blocks (EXIF reports its tag names).
XMP_KEY = "XMP"
IPTC_KEY = "IPTC"


@dataclass
class Structure:
    """The walk's result: hidden kinds with counts, metadata block names, frame count."""

    kinds: Counter[str] = field(default_factory=Counter)
    names: set[str] = field(default_factory=set)
    frames: int = 1
    #: WebP: the picture is stored losslessly (VP8L) and is re-encoded losslessly.
    lossless: bool = False

    def add(self, kind: str, count: int = 1, name: str | None = None) -> None:
        self.kinds[kind] += count
        if name is not None:
            self.names.add(name)

    def malformed(self) -> Structure:
        """The framing could not be walked to its end: whatever follows is unaccounted."""
        self.kinds[UNPARSED_STRUCTURE] += 1
        return self

    def trailing(self, data: bytes, end: int) -> Structure:
        if end < len(data):
            self.kinds[TRAILING_DATA] += 1
        return self


def u16be(data: bytes, pos: int) -> int:
    return int.from_bytes(data[pos:pos + 2], "big")


def u32be(data: bytes, pos: int) -> int:
    return int.from_bytes(data[pos:pos + 4], "big")


def u32le(data: bytes, pos: int) -> int:
    return int.from_bytes(data[pos:pos + 4], "little")


# --- BMP -------------------------------------------------------------------------------------
_BMP_FILE_HEADER = 14
_BMP_V5_HEADER = 124
_BMP_CSTYPE_OFFSET = 56
#: bV5CSType values naming a profile: embedded ('MBED') or a file path on the author's disk
#: ('LINK'), which leaks a local path and reaches outside the file.
_BMP_PROFILE_TYPES = frozenset({0x4D424544, 0x4C494E4B})


def scan_bmp(data: bytes) -> Structure:
    """BMP has no metadata blocks; a V5 header may carry or link an ICC profile."""
    found = Structure()
    if len(data) < _BMP_FILE_HEADER + 4 or data[:2] != b"BM":
        return found.malformed()
    header_size = u32le(data, _BMP_FILE_HEADER)
    if header_size >= _BMP_V5_HEADER and len(data) >= _BMP_FILE_HEADER + _BMP_V5_HEADER:
        cs_type = u32le(data, _BMP_FILE_HEADER + _BMP_CSTYPE_OFFSET)
        if cs_type in _BMP_PROFILE_TYPES:
            found.add(ICC_PROFILE)
    declared = u32le(data, 2)
    # Writers disagree on the size field (some write 0); only bytes beyond a plausible
    # declared size are counted as appended data.
    return found.trailing(data, declared) if declared >= _BMP_FILE_HEADER else found
