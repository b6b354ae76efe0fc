"""JPEG marker walk: which segments a JPEG carries besides the ones that decode it.

Structural: SOFn, DHT, DQT, DRI, DAC, DNL, SOS with its entropy-coded data, RSTn, EOI, the
JFIF APP0 header (without a thumbnail) and Adobe's APP14 colour-transform flag. Everything
else is counted: APP1 EXIF and XMP, APP2 ICC profiles and MPF (multi-picture index), APP13
Photoshop/IPTC, COM comments, other APPn and extension markers, and bytes after EOI (where
MPO files keep their extra pictures, and polyglots their second format).
"""

from __future__ import annotations

from handlers.image.structure import (
    COMMENTS,
    EXIF,
    EXTRA_IMAGES,
    ICC_PROFILE,
    IPTC,
    IPTC_KEY,
    OTHER_SEGMENTS,
    THUMBNAIL,
    XMP,
    XMP_KEY,
    Structure,
    u16be,
)

_SOI = b"\xff\xd8"
_EOI = 0xD9
_SOS = 0xDA
_COM = 0xFE
_APP0 = 0xE0
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
#: DHT, DAC, DQT, DNL, DRI: tables and counts the decoder needs.
_TABLES = frozenset({0xC4, 0xCC, 0xDB, 0xDC, 0xDD})
#: Markers without a length field: RST0-7 and TEM.
_STANDALONE = frozenset({*range(0xD0, 0xD8), 0x01})
#: APPn payload prefix -> (kind, metadata key name); None: structural.
_APP_SEGMENTS: dict[tuple[int, bytes], tuple[str, str | None] | None] = {
    (0xE1, b"Exif\x00"): (EXIF, None),
    (0xE1, b"http://ns.adobe.com/xap/1.0/\x00"): (XMP, XMP_KEY),
    (0xE1, b"http://ns.adobe.com/xmp/extension/\x00"): (XMP, XMP_KEY),
    (0xE2, b"ICC_PROFILE\x00"): (ICC_PROFILE, None),
    (0xE2, b"MPF\x00"): (EXTRA_IMAGES, None),
    (0xED, b"Photoshop 3.0\x00"): (IPTC, IPTC_KEY),
    (0xEE, b"Adobe"): None,
}
_JFIF = b"JFIF\x00"
_JFIF_THUMBNAIL_SIZE = slice(12, 14)


def scan_jpeg(data: bytes) -> Structure:
    found = Structure()
    if not data.startswith(_SOI):
        return found.malformed()
    pos = len(_SOI)
    while True:
        marker, pos = _next_marker(data, pos)
        if marker is None:
            return found.malformed()
        if marker == _EOI:
            return found.trailing(data, pos)
        if marker in _STANDALONE:
            continue
        length = u16be(data, pos)
        if length < 2 or pos + length > len(data):
            return found.malformed()
        _classify(marker, data[pos + 2:pos + length], found)
        pos += length
        if marker == _SOS:
            pos = _skip_entropy_coded(data, pos)


def _next_marker(data: bytes, pos: int) -> tuple[int | None, int]:
    """The marker at ``pos`` (fill bytes 0xFF skipped) and the position after it."""
    if pos >= len(data) or data[pos] != 0xFF:
        return None, pos
    while pos < len(data) and data[pos] == 0xFF:
        pos += 1
    if pos >= len(data) or data[pos] == 0x00:
        return None, pos
    return data[pos], pos + 1


def _skip_entropy_coded(data: bytes, pos: int) -> int:
    """Position of the first marker after a scan: 0xFF not followed by 0x00 (a stuffed
    byte) or RSTn (restart markers sit inside the scan)."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            return len(data)
        following = data[pos + 1]
        if following != 0x00 and not 0xD0 <= following <= 0xD7 and following != 0xFF:
            return pos
        pos += 1 if following == 0xFF else 2


def _classify(marker: int, payload: bytes, found: Structure) -> None:
    if marker in _SOF or marker in _TABLES or marker == _SOS:
        return
    if marker == _COM:
        found.add(COMMENTS)
    elif marker == _APP0:
        _classify_app0(payload, found)
    elif 0xE1 <= marker <= 0xEF:
        _classify_app(marker, payload, found)
    else:
        found.add(OTHER_SEGMENTS)  # JPGn, DHP, EXP and reserved markers: not ours to keep


def _classify_app0(payload: bytes, found: Structure) -> None:
    if not payload.startswith(_JFIF):
        found.add(THUMBNAIL if payload.startswith(b"JFXX\x00") else OTHER_SEGMENTS)
    elif any(payload[_JFIF_THUMBNAIL_SIZE]):
        found.add(THUMBNAIL)


def _classify_app(marker: int, payload: bytes, found: Structure) -> None:
    for (app, prefix), meaning in _APP_SEGMENTS.items():
        if app == marker and payload.startswith(prefix):
            if meaning is not None:
                found.add(meaning[0], name=meaning[1])
            return
    found.add(OTHER_SEGMENTS)
