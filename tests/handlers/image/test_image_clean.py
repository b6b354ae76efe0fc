"""Image cleaning: everything besides the pixels goes, orientation is applied, pixels stay."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from PIL import Image, ImageSequence

from core.errors import VerificationFailed
from handlers.base import LabelStamp
from handlers.image import (
    BmpHandler,
    GifHandler,
    ImageHandler,
    JpegHandler,
    PngHandler,
    TiffHandler,
    WebpHandler,
)
from tests.fixtures.imagedirty import (
    IMAGE_SECRET,
    dirty_bmp,
    dirty_gif,
    dirty_jpeg,
    dirty_png,
    dirty_tiff,
    dirty_webp,
    exif_block,
    icc_profile,
    picture,
)

DIRTY: dict[str, tuple[type[ImageHandler], Callable[[], bytes], set[str]]] = {
    "jpeg": (JpegHandler, dirty_jpeg, {"exif", "exif_thumbnail", "xmp", "iptc", "icc_profile",
                                       "comments", "other_segments", "trailing_data",
                                       "orientation_applied"}),
    "png": (PngHandler, dirty_png, {"exif", "exif_thumbnail", "xmp", "icc_profile",
                                    "text_chunks", "timestamps", "other_segments",
                                    "trailing_data"}),
    "gif": (GifHandler, dirty_gif, {"xmp", "comments", "extra_frames", "trailing_data"}),
    "tiff": (TiffHandler, dirty_tiff, {"tiff_tags", "orientation_applied"}),
    "webp": (WebpHandler, dirty_webp, {"exif", "exif_thumbnail", "xmp", "icc_profile",
                                       "orientation_applied"}),
    "bmp": (BmpHandler, dirty_bmp, {"icc_profile", "trailing_data"}),
}
STAMP = LabelStamp(label={"confidentiality": "C2"}, visible="機密性2")


def clean(handler: type[ImageHandler], data: bytes) -> tuple[bytes, dict[str, int]]:
    with handler.open(data) as image:
        cleaned = image.clean()
        return cleaned, dict(image.removed)


def encoded(image: Image.Image, image_format: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format, **params)
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(DIRTY))
def test_everything_but_the_pixels_is_removed(name: str) -> None:
    handler, make, expected = DIRTY[name]
    dirty = make()
    with handler.open(dirty) as image:
        assert image.inspect().problems(), "the fixture must be dirty"
    cleaned, removed = clean(handler, dirty)
    assert expected <= set(removed), sorted(expected - set(removed))
    assert handler.verify(cleaned).problems() == []
    for encoding in ("utf-8", "utf-16-le"):
        assert IMAGE_SECRET.encode(encoding) not in cleaned
    assert b"DirtyCam" not in cleaned and b"ns.adobe.com" not in cleaned


@pytest.mark.parametrize("name", sorted(DIRTY))
def test_clean_output_cleans_to_itself(name: str) -> None:
    handler, make, _ = DIRTY[name]
    once, _ = clean(handler, make())
    twice, removed = clean(handler, once)
    assert twice == once
    assert removed == {}


@pytest.mark.parametrize("name", ["jpeg", "tiff", "webp"])
def test_orientation_is_applied_to_the_pixels(name: str) -> None:
    handler, make, _ = DIRTY[name]
    with Image.open(io.BytesIO(clean(handler, make())[0])) as result:
        rgb = result.convert("RGB")
    # The fixture stores the quadrant picture rotated, with Orientation=6 to show it upright.
    assert rgb.size == picture().size
    for (x, y), colour in {(2, 2): (255, 0, 0), (37, 2): (0, 255, 0),
                           (2, 27): (0, 0, 255), (37, 27): (255, 255, 255)}.items():
        assert all(abs(a - b) <= 12 for a, b in zip(rgb.getpixel((x, y)), colour, strict=True))


def test_two_by_one_with_orientation_6_becomes_one_by_two() -> None:
    stored = Image.new("RGB", (2, 1))
    stored.putpixel((0, 0), (255, 0, 0))
    stored.putpixel((1, 0), (0, 0, 255))
    data = encoded(stored, "PNG", exif=exif_block(orientation=6, thumbnail=False))
    cleaned, removed = clean(PngHandler, data)
    assert removed["orientation_applied"] == 1
    with Image.open(io.BytesIO(cleaned)) as result:
        assert result.size == (1, 2)
        # Rotating 90 degrees clockwise puts the left pixel on top.
        assert result.getpixel((0, 0)) == (255, 0, 0)
        assert result.getpixel((0, 1)) == (0, 0, 255)
        assert not result.getexif()


def test_animations_keep_their_first_frame_only() -> None:
    gif, _ = clean(GifHandler, dirty_gif(frames=4))
    webp, _ = clean(WebpHandler, dirty_webp(animated=True, lossless=True))
    frames = [Image.new("RGB", (8, 8), (40 * i, 0, 0)) for i in range(3)]
    apng = encoded(frames[0], "PNG", save_all=True, append_images=frames[1:])
    png, removed = clean(PngHandler, apng)
    assert removed["extra_frames"] == 2
    for data in (gif, webp, png):
        with Image.open(io.BytesIO(data)) as result:
            assert getattr(result, "n_frames", 1) == 1
    with Image.open(io.BytesIO(png)) as result:
        assert result.convert("RGB").getpixel((4, 4)) == (0, 0, 0)


def test_tiff_keeps_every_page_losslessly() -> None:
    cleaned, _ = clean(TiffHandler, dirty_tiff(pages=3))
    with Image.open(io.BytesIO(cleaned)) as result:
        pages = [frame.copy() for frame in ImageSequence.Iterator(result)]
        assert result.tag_v2[259] == 8  # Deflate
    assert len(pages) == 3
    assert pages[1].convert("RGB").getpixel((1, 1)) == (0, 0, 150)


def test_bilevel_tiff_is_written_with_group4() -> None:
    scan = Image.new("1", (64, 32), 1)
    cleaned, _ = clean(TiffHandler, encoded(scan, "TIFF", tiffinfo={315: "scanner op"}))
    with Image.open(io.BytesIO(cleaned)) as result:
        assert result.tag_v2[259] == 4
        assert result.mode == "1"


def test_multi_picture_jpeg_keeps_its_primary_picture() -> None:
    first, second = picture(), Image.new("RGB", (40, 30), (0, 0, 0))
    mpo = encoded(first, "MPO", save_all=True, append_images=[second])
    cleaned, removed = clean(JpegHandler, mpo)
    assert {"extra_images", "trailing_data"} <= set(removed)
    with Image.open(io.BytesIO(cleaned)) as result:
        assert result.format == "JPEG" and getattr(result, "n_frames", 1) == 1


def test_a_clean_jpeg_is_returned_unchanged_and_a_commented_one_is_not() -> None:
    plain = encoded(picture(), "JPEG", quality=90)
    assert clean(JpegHandler, plain) == (plain, {})
    commented = encoded(picture(), "JPEG", quality=90, comment=IMAGE_SECRET.encode())
    cleaned, removed = clean(JpegHandler, commented)
    assert removed == {"comments": 1}
    assert IMAGE_SECRET.encode() not in cleaned


@pytest.mark.parametrize(("image_format", "mode"), [("PNG", "P"), ("GIF", "P"), ("PNG", "RGBA"),
                                                    ("PNG", "I;16"), ("JPEG", "CMYK"),
                                                    ("BMP", "P"), ("PNG", "LA")])
def test_pixel_formats_survive(image_format: str, mode: str) -> None:
    source = picture().convert("RGBA" if mode in ("RGBA", "LA") else "RGB")
    image = source.convert(mode) if mode not in ("P", "I;16") else (
        source.quantize(8) if mode == "P" else source.convert("L").convert("I;16"))
    params = {"transparency": 0} if mode == "P" and image_format != "BMP" else {}
    data = encoded(image, image_format, **params)
    handler = {"PNG": PngHandler, "GIF": GifHandler, "JPEG": JpegHandler, "BMP": BmpHandler}
    cleaned, _ = clean(handler[image_format], data + b"appended")
    with Image.open(io.BytesIO(data)) as before, Image.open(io.BytesIO(cleaned)) as after:
        assert after.mode == before.mode
        assert after.info.get("transparency") == before.info.get("transparency")
        if image_format != "JPEG":
            assert after.tobytes() == before.tobytes()


def test_inspection_names_metadata_but_holds_no_values() -> None:
    with JpegHandler.open(dirty_jpeg()) as image:
        inspection = image.inspect()
    report = json.dumps(inspection.to_dict(), ensure_ascii=False)
    for name in ("GPSInfo", "Make", "Model", "DateTimeOriginal", "Artist", "XMP", "IPTC"):
        assert name in inspection.metadata_keys
    assert inspection.hidden_data["exif_thumbnail"] == 1
    assert inspection.hidden_data["comments"] == 1
    for value in (IMAGE_SECRET, "DirtyCam", "Model-D", "2024:04:01", "139"):
        assert value not in report
    with PngHandler.open(dirty_png()) as image:
        png = image.inspect()
    assert png.hidden_data["text_chunks"] == 3  # Author, Comment, a private keyword
    assert "PNG:Author" in png.metadata_keys
    assert not any("private" in key for key in png.metadata_keys)  # author-chosen keyword


def test_labels_leave_the_file_alone_and_refuse_dirty_input() -> None:
    cleaned, _ = clean(PngHandler, dirty_png())
    assert PngHandler.write_label(cleaned, STAMP) == cleaned
    assert PngHandler.read_label(cleaned) is None
    with pytest.raises(VerificationFailed):
        PngHandler.write_label(dirty_png(), STAMP)
    with pytest.raises(VerificationFailed):  # a JPEG is not a clean PNG
        PngHandler.write_label(clean(JpegHandler, dirty_jpeg())[0], STAMP)


def test_a_broken_colour_profile_is_dropped_and_the_pixels_kept() -> None:
    data = encoded(picture(), "PNG", icc_profile=b"not a profile " + IMAGE_SECRET.encode())
    cleaned, removed = clean(PngHandler, data)
    assert removed["icc_profile"] == 1
    with Image.open(io.BytesIO(cleaned)) as after:
        assert "icc_profile" not in after.info
        assert after.tobytes() == picture().tobytes()


def test_an_srgb_profile_is_applied_then_dropped() -> None:
    data = encoded(picture(), "PNG", icc_profile=icc_profile())
    cleaned, _ = clean(PngHandler, data)
    with Image.open(io.BytesIO(cleaned)) as after:
        assert "icc_profile" not in after.info
        pixels = after.convert("RGB")
    for xy in ((2, 2), (37, 2), (2, 27)):
        assert all(abs(a - b) <= 3 for a, b in zip(pixels.getpixel(xy), picture().getpixel(xy),
                                                    strict=True))
