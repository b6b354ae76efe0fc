"""PNG chunk, GIF block and WebP RIFF chunk walks (see handlers/image/structure.py).

PNG: text chunks (tEXt/zTXt/iTXt; iTXt ``XML:com.adobe.xmp`` is XMP), eXIf, iCCP, tIME and
unknown ancillary chunks (C2PA manifests, vendor data) are counted; animation control
(acTL) gives the frame count. GIF: comment, plain-text and application extensions other than
the looping ones (``XMP DataXMP`` is XMP); image descriptors give the frame count. WebP:
EXIF, ``XMP `` and ICCP chunks, unknown chunks, and ANMF frames.
"""

from __future__ import annotations

from handlers.image.limits import MAX_IMAGE_FRAMES, TooManyImageFrames
from handlers.image.structure import (
    COMMENTS,
    EXIF,
    EXTRA_FRAMES,
    ICC_PROFILE,
    OTHER_SEGMENTS,
    TEXT_CHUNKS,
    TIMESTAMPS,
    XMP,
    XMP_KEY,
    Structure,
    u32be,
    u32le,
)

# --- PNG -------------------------------------------------------------------------------------
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Chunks that decode the picture or describe its colours; none can hold text.
_PNG_STRUCTURAL = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"pHYs", b"gAMA",
                             b"cHRM", b"sRGB", b"sBIT", b"bKGD", b"fcTL", b"fdAT"})
_PNG_TEXT = frozenset({b"tEXt", b"zTXt", b"iTXt"})
_PNG_KINDS = {b"eXIf": EXIF, b"iCCP": ICC_PROFILE, b"tIME": TIMESTAMPS}
#: Keywords registered by the PNG specification: reported by name; any other keyword is
#: chosen by the author (content) and only counted.
PNG_KEYWORDS = frozenset({"Title", "Author", "Description", "Copyright", "Creation Time",
                          "Software", "Disclaimer", "Warning", "Source", "Comment"})
_XMP_KEYWORD = b"XML:com.adobe.xmp"
_MAX_KEYWORD = 79


def scan_png(data: bytes) -> Structure:
    found = Structure()
    if not data.startswith(PNG_SIGNATURE):
        return found.malformed()
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length, kind = u32be(data, pos), data[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > len(data):
            return found.malformed()
        _classify_png(kind, data[pos + 8:end - 4], found)
        pos = end
        if kind == b"IEND":
            return found.trailing(data, pos)
    return found.malformed()


def _classify_png(kind: bytes, body: bytes, found: Structure) -> None:
    if kind == b"acTL":
        frames = u32be(body, 0) if len(body) >= 4 else 1
        _count_frames(found, max(frames, 1))
    elif kind in _PNG_STRUCTURAL:
        return
    elif kind in _PNG_TEXT:
        keyword = body.split(b"\x00", 1)[0][:_MAX_KEYWORD]
        if keyword == _XMP_KEYWORD:
            found.add(XMP, name=XMP_KEY)
            return
        name = keyword.decode("latin-1")
        found.add(TEXT_CHUNKS, name=f"PNG:{name}" if name in PNG_KEYWORDS else None)
    else:
        found.add(_PNG_KINDS.get(kind, OTHER_SEGMENTS))


def _count_frames(found: Structure, frames: int) -> None:
    if frames > MAX_IMAGE_FRAMES:
        raise TooManyImageFrames(f"more than {MAX_IMAGE_FRAMES} frames")
    found.frames = frames
    if frames > 1:
        found.kinds[EXTRA_FRAMES] = frames - 1


# --- GIF -------------------------------------------------------------------------------------
_GIF_SIGNATURES = (b"GIF87a", b"GIF89a")
_GIF_SCREEN_END = 13
_GIF_TRAILER = 0x3B
_GIF_EXTENSION = 0x21
_GIF_IMAGE = 0x2C
_GIF_GRAPHIC_CONTROL = 0xF9
_GIF_COMMENT = 0xFE
_GIF_APPLICATION = 0xFF
#: Application extensions that only control looping.
_GIF_LOOPING = (b"NETSCAPE2.0", b"ANIMEXTS1.0")
_GIF_XMP = b"XMP DataXMP"


def scan_gif(data: bytes) -> Structure:
    found = Structure()
    if data[:6] not in _GIF_SIGNATURES or len(data) < _GIF_SCREEN_END:
        return found.malformed()
    pos = _GIF_SCREEN_END + _colour_table_size(data[10])
    frames = 0
    while pos < len(data):
        block = data[pos]
        if block == _GIF_TRAILER:
            _count_frames(found, max(frames, 1))
            return found.trailing(data, pos + 1)
        if block == _GIF_EXTENSION and pos + 2 <= len(data):
            pos = _gif_extension(data, pos + 1, found)
        elif block == _GIF_IMAGE and pos + 10 <= len(data):
            frames += 1
            if frames > MAX_IMAGE_FRAMES:
                raise TooManyImageFrames(f"more than {MAX_IMAGE_FRAMES} frames")
            pos = _skip_sub_blocks(data, pos + 11 + _colour_table_size(data[pos + 9]))
        else:
            return found.malformed()
        if pos < 0:
            return found.malformed()
    return found.malformed()


def _colour_table_size(flags: int) -> int:
    return 3 * 2 ** ((flags & 0x07) + 1) if flags & 0x80 else 0


def _gif_extension(data: bytes, pos: int, found: Structure) -> int:
    label = data[pos]
    if label == _GIF_COMMENT:
        found.add(COMMENTS)
    elif label == _GIF_APPLICATION:
        identifier = data[pos + 2:pos + 13]
        if identifier == _GIF_XMP:
            found.add(XMP, name=XMP_KEY)
        elif identifier not in _GIF_LOOPING:
            found.add(OTHER_SEGMENTS)
    elif label != _GIF_GRAPHIC_CONTROL:
        found.add(OTHER_SEGMENTS)  # plain-text extension and unknown labels
    return _skip_sub_blocks(data, pos + 1)


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    """Position after a sub-block chain's terminator, or -1 if the chain runs off the end."""
    while pos < len(data):
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos
    return -1


# --- WebP ------------------------------------------------------------------------------------
_RIFF_HEADER = 12
_WEBP_STRUCTURAL = frozenset({b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM"})
_WEBP_KINDS = {b"EXIF": EXIF, b"XMP ": XMP, b"ICCP": ICC_PROFILE}
#: Offset of the frame's image chunk inside an ANMF body (after the 16-byte frame header).
_ANMF_IMAGE = 16


def scan_webp(data: bytes) -> Structure:
    found = Structure()
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return found.malformed()
    riff_end = 8 + u32le(data, 4)
    if riff_end > len(data):
        return found.malformed()
    pos, frames = _RIFF_HEADER, 0
    while pos + 8 <= riff_end:
        kind, size = data[pos:pos + 4], u32le(data, pos + 4)
        body = pos + 8
        if body + size > riff_end:
            return found.malformed()
        if kind == b"ANMF":
            frames += 1
            kind = data[body + _ANMF_IMAGE:body + _ANMF_IMAGE + 4]
        if kind == b"VP8L":
            found.lossless = True
        elif kind in _WEBP_KINDS:
            found.add(_WEBP_KINDS[kind], name=XMP_KEY if kind == b"XMP " else None)
        elif kind not in _WEBP_STRUCTURAL:
            found.add(OTHER_SEGMENTS)
        pos = body + size + (size & 1)
    _count_frames(found, max(frames, 1))
    return found.trailing(data, riff_end) if pos >= riff_end else found.malformed()
