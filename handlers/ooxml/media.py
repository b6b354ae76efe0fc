"""Pictures inside a package: check they are what their content type says, and drop the
metadata JPEG and PNG carry (EXIF with GPS and camera serials, XMP, IPTC, comments, text
chunks: Saitama 第3 4(3) 属性情報) without re-encoding the pixels.

A picture whose bytes do not start like its declared type is not a picture we can vouch
for (a hidden payload with an image name): the rebuild drops it.
"""

from __future__ import annotations

import struct

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: PNG chunks kept: the image itself, colour and transparency, physical size, animation.
PNG_KEPT_CHUNKS = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM",
                             b"sRGB", b"iCCP", b"sBIT", b"pHYs", b"bKGD", b"hIST", b"acTL",
                             b"fcTL", b"fdAT"})
#: JPEG APPn segments kept: JFIF (APP0), Adobe colour transform (APP14); APP2 only when it
#: is an ICC profile (APP2 also carries MPF, which embeds further pictures).
_JPEG_KEPT_APP = frozenset({0xE0, 0xEE})
_JPEG_APP2 = 0xE2
_ICC = b"ICC_PROFILE\x00"
_SOS = 0xDA
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})

_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (PNG_SIGNATURE,),
    "image/jpeg": (b"\xff\xd8\xff",), "image/jpg": (b"\xff\xd8\xff",),
    "image/pjpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/bmp": (b"BM",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
    "image/x-wmf": (b"\xd7\xcd\xc6\x9a", b"\x01\x00\x09\x00", b"\x02\x00\x09\x00"),
    "image/wmf": (b"\xd7\xcd\xc6\x9a", b"\x01\x00\x09\x00", b"\x02\x00\x09\x00"),
    "image/vnd.ms-photo": (b"II\xbc",),
}


def clean_image(untrusted_data: bytes, content_type: str) -> tuple[bytes, bool] | None:
    """(picture, metadata removed?) or None when the bytes are not the declared kind."""
    kind = content_type.lower()
    if kind in {"image/x-emf", "image/emf"}:
        ok = untrusted_data[:4] == b"\x01\x00\x00\x00" and untrusted_data[40:44] == b" EMF"
        return (untrusted_data, False) if ok else None
    if not untrusted_data.startswith(_SIGNATURES.get(kind, ())):
        return None
    if kind == "image/png":
        return strip_png(untrusted_data)
    if kind in {"image/jpeg", "image/jpg", "image/pjpeg"}:
        return strip_jpeg(untrusted_data)
    return untrusted_data, False


def strip_png(data: bytes) -> tuple[bytes, bool] | None:
    out = [PNG_SIGNATURE]
    position, changed = len(PNG_SIGNATURE), False
    while position + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, position)
        chunk_type = data[position + 4:position + 8]
        end = position + 12 + length
        if end > len(data):
            return None
        if chunk_type in PNG_KEPT_CHUNKS:
            out.append(data[position:end])
        else:
            changed = True
        position = end
        if chunk_type == b"IEND":
            return b"".join(out), changed or position != len(data)
    return None


def strip_jpeg(data: bytes) -> tuple[bytes, bool] | None:
    out = [data[:2]]
    position, changed = 2, False
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        if marker in _STANDALONE:
            out.append(data[position:position + 2])
            position += 2
            continue
        (length,) = struct.unpack_from(">H", data, position + 2)
        end = position + 2 + length
        if length < 2 or end > len(data):
            return None
        if marker == _SOS:
            return _scan_data(data, position, out, changed)
        if _keep_jpeg_segment(marker, data[position + 4:end]):
            out.append(data[position:end])
        else:
            changed = True
        position = end
    return None


def _keep_jpeg_segment(marker: int, payload: bytes) -> bool:
    if marker == 0xFE or 0xE1 <= marker <= 0xEF:  # COM, APP1..APP15
        return marker in _JPEG_KEPT_APP or (marker == _JPEG_APP2 and payload.startswith(_ICC))
    return True


def _scan_data(data: bytes, sos: int, out: list[bytes], changed: bool) -> tuple[bytes, bool] | None:
    # The entropy-coded scans (and, in progressive files, the tables between them) run to
    # the last end-of-image marker; anything after it is not part of the picture.
    eoi = data.rfind(b"\xff\xd9")
    if eoi < sos:
        return None
    out.append(data[sos:eoi + 2])
    return b"".join(out), changed or eoi + 2 != len(data)
