"""Hostile images: decompression bombs, frame floods, damaged files, each refused with its
own error code at open, and no error message carrying content."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from core.errors import ContentRejected, CorruptFile
from handlers.image import GifHandler, ImageHandler, JpegHandler, PngHandler, TiffHandler
from handlers.image import handler as handler_module
from handlers.image import pixels as pixels_module
from handlers.image.limits import MAX_IMAGE_FRAMES
from tests.fixtures.imagedirty import IMAGE_SECRET, dirty_jpeg, dirty_png, dirty_tiff


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(
        ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_declaring(width: int, height: int, *, actl_frames: int | None = None) -> bytes:
    """A few hundred bytes claiming ``width`` x ``height`` pixels (a decompression bomb)."""
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    animation = chunk(b"acTL", struct.pack(">II", actl_frames, 0)) if actl_frames else b""
    return (b"\x89PNG\r\n\x1a\n" + header + animation
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


def gif_with_frames(count: int) -> bytes:
    frame = b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00"
    return b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff" + frame * count + b";"


def refused(handler: type[ImageHandler], data: bytes) -> ContentRejected:
    with pytest.raises(ContentRejected) as caught:
        handler.open(data)
    assert IMAGE_SECRET not in str(caught.value)
    return caught.value


@pytest.mark.parametrize("size", [(9_000, 9_000), (20_000, 20_000), (70_000, 1)])
def test_pixel_bombs_are_refused_before_decoding(size: tuple[int, int]) -> None:
    # 81 Mpx is over our bound, 400 Mpx over Pillow's own, 70,000 px wide over the side bound.
    assert refused(PngHandler, png_declaring(*size)).code == "image_too_large"


def test_frame_floods_are_refused_from_the_structure() -> None:
    assert refused(GifHandler, gif_with_frames(MAX_IMAGE_FRAMES + 1)).code == (
        "too_many_image_frames")
    with GifHandler.open(gif_with_frames(3)) as small:
        assert small.inspect().hidden_data["extra_frames"] == 2
    declared = png_declaring(8, 8, actl_frames=5_000)
    assert refused(PngHandler, declared).code == "too_many_image_frames"


def test_page_and_total_pixel_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pixels_module, "MAX_TOTAL_PIXELS", 1_300)  # pages of 1,200 and 200 px
    assert refused(TiffHandler, dirty_tiff(pages=2)).code == "image_pixels_total_too_large"
    monkeypatch.setattr(pixels_module, "MAX_TOTAL_PIXELS", 10**9)
    monkeypatch.setattr(pixels_module, "MAX_IMAGE_FRAMES", 2)
    assert refused(TiffHandler, dirty_tiff(pages=3)).code == "too_many_image_frames"


def test_file_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handler_module, "MAX_IMAGE_FILE_BYTES", 100)
    assert refused(PngHandler, dirty_png()).code == "file_too_large"


def test_truncated_pixel_data_is_corrupt_at_open() -> None:
    data = dirty_jpeg()
    scan = data.index(b"\xff\xda")
    assert isinstance(refused(JpegHandler, data[:scan + 40]), CorruptFile)
    png = dirty_png()
    idat = png.index(b"IDAT")
    broken = png[:idat + 8] + bytes(b ^ 0xFF for b in png[idat + 8:idat + 40]) + png[idat + 40:]
    assert isinstance(refused(PngHandler, broken), CorruptFile)


@pytest.mark.parametrize("data", [dirty_png(), b"", b"\x00" * 64, b"GIF89a"])
def test_wrong_or_empty_input_is_corrupt(data: bytes) -> None:
    assert isinstance(refused(JpegHandler, data), CorruptFile)


def test_a_looping_tiff_page_list_terminates() -> None:
    # One IFD whose "next IFD" offset points back at itself.
    entries = [(256, 3, 1, 1), (257, 3, 1, 1), (258, 3, 1, 8), (259, 3, 1, 1),
               (262, 3, 1, 1), (273, 4, 1, 8 + 2 + 12 * 8 + 4), (278, 3, 1, 1), (279, 4, 1, 1)]
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHII", tag, kind, count, value) for tag, kind, count, value in entries)
    looping = b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 8) + b"\x80"
    try:
        with TiffHandler.open(looping) as image:
            assert image.inspect().properties["frames"] <= MAX_IMAGE_FRAMES
    except ContentRejected:
        pass  # refusing the file is as good as reading its one page


def test_a_segment_running_off_the_end_is_never_passed_through() -> None:
    plain = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(plain, "JPEG")
    data = plain.getvalue()
    # A COM segment declaring more bytes than follow, inserted before the pixels.
    hostile = data[:2] + b"\xff\xfe\xff\xf0" + data[2:]
    try:
        with JpegHandler.open(hostile) as image:
            assert image.inspect().problems()
            cleaned = image.clean()
        assert cleaned != hostile
    except ContentRejected:
        pass
