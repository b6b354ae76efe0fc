"""Pictures inside packages: EXIF (with GPS), XMP, comments and PNG text chunks are removed
without re-encoding the pixels (Saitama 第3 4(3) 属性情報); bytes that are not the picture
they claim to be are not kept."""

from __future__ import annotations

import io

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from handlers.ooxml.media import clean_image, strip_jpeg, strip_png
from tests.fixtures.imagegen import EXIF_ARTIST, PNG_TEXT_MARK, make_exif_jpeg, make_png_with_text


def _jpeg_with_icc_and_comment() -> bytes:
    out = io.BytesIO()
    profile = b"\x00" * 128  # content is irrelevant: only where it sits matters
    Image.new("RGB", (8, 8), "red").save(out, "JPEG", icc_profile=profile,
                                         comment=b"JPEG-COMMENT-SECRET")
    return out.getvalue()


def test_jpeg_loses_exif_and_comments_keeps_pixels_and_colour_profile() -> None:
    original = make_exif_jpeg()
    assert EXIF_ARTIST.encode() in original
    result = clean_image(original + b"PK\x03\x04appended", "image/jpeg")
    assert result is not None
    cleaned, changed = result
    assert changed and EXIF_ARTIST.encode() not in cleaned and not cleaned.endswith(b"appended")
    with Image.open(io.BytesIO(cleaned)) as image, Image.open(io.BytesIO(original)) as before:
        assert not image.getexif() and image.tobytes() == before.tobytes()
    with_icc = _jpeg_with_icc_and_comment()
    stripped = strip_jpeg(with_icc)
    assert stripped is not None and b"JPEG-COMMENT-SECRET" not in stripped[0]
    with Image.open(io.BytesIO(stripped[0])) as image:
        assert image.info.get("icc_profile")


def test_png_loses_text_chunks_keeps_pixels() -> None:
    original = make_png_with_text()
    result = strip_png(original)
    assert result is not None
    cleaned, changed = result
    assert changed and PNG_TEXT_MARK.encode() not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image, Image.open(io.BytesIO(original)) as before:
        assert image.tobytes() == before.tobytes() and not image.text


def test_clean_pictures_are_unchanged_and_idempotent() -> None:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(out, "PNG", pnginfo=PngInfo())
    plain = out.getvalue()
    assert clean_image(plain, "image/png") == (plain, False)
    cleaned = clean_image(make_exif_jpeg(), "image/jpeg")
    assert cleaned is not None and clean_image(cleaned[0], "image/jpeg") == (cleaned[0], False)


def test_mislabelled_or_truncated_pictures_are_refused() -> None:
    png = make_png_with_text()
    assert clean_image(png, "image/jpeg") is None
    assert clean_image(b"MZ\x90\x00", "image/png") is None
    assert clean_image(png[:40], "image/png") is None
    assert clean_image(make_exif_jpeg()[:200], "image/jpeg") is None
    assert clean_image(b"\x01\x00\x00\x00" + b"\x00" * 36 + b" EMF" + b"\x00" * 40,
                       "image/x-emf") is not None
    assert clean_image(b"\x02\x00\x00\x00" + b"\x00" * 80, "image/x-emf") is None
