"""Independent check with a tool we did not write: exiftool sees the metadata in the dirty
fixtures and none of it in the cleaned files (issue 4 item 4)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

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
    dirty_bmp,
    dirty_gif,
    dirty_jpeg,
    dirty_png,
    dirty_tiff,
    dirty_webp,
)

EXIFTOOL = shutil.which("exiftool")
pytestmark = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed "
                                "(apt-get install libimage-exiftool-perl)")

#: Metadata groups (exiftool family 0) that must not be in a cleaned image.
METADATA_GROUPS = frozenset({"EXIF", "XMP", "IPTC", "ICC_Profile", "Photoshop", "MakerNotes",
                             "MPF", "APP12", "Ducky", "FlashPix", "JFXX"})
#: What exiftool lists in a TIFF's EXIF group that only describes the pixels.
TIFF_STRUCTURE = frozenset({
    "ImageWidth", "ImageHeight", "BitsPerSample", "Compression", "PhotometricInterpretation",
    "StripOffsets", "SamplesPerPixel", "RowsPerStrip", "StripByteCounts", "XResolution",
    "YResolution", "PlanarConfiguration", "ResolutionUnit", "ExtraSamples", "SubfileType",
    "ColorMap", "T6Options", "FillOrder",
})
CASES = [("jpg", JpegHandler, dirty_jpeg), ("png", PngHandler, dirty_png),
         ("gif", GifHandler, dirty_gif), ("tif", TiffHandler, dirty_tiff),
         ("webp", WebpHandler, dirty_webp), ("bmp", BmpHandler, dirty_bmp)]


def exiftool(path: Path) -> dict[str, object]:
    assert EXIFTOOL is not None
    out = subprocess.run([EXIFTOOL, "-j", "-G", "-a", "-u", str(path)], capture_output=True,
                         check=True, timeout=60)
    record: dict[str, object] = json.loads(out.stdout)[0]
    return record


def personal(record: dict[str, object], *, tiff: bool) -> list[str]:
    found = []
    for key in record:
        group, _, tag = key.partition(":")
        if tiff and group == "EXIF" and tag in TIFF_STRUCTURE:
            continue
        if group in METADATA_GROUPS or "GPS" in tag or tag in ("Comment", "Artist", "Author"):
            found.append(key)
    return found


@pytest.mark.parametrize(("extension", "handler", "make"), CASES,
                         ids=[case[0] for case in CASES])
def test_exiftool_sees_no_metadata_after_cleaning(
    tmp_path: Path, extension: str, handler: type[ImageHandler], make: object,
) -> None:
    assert callable(make)
    dirty = tmp_path / f"dirty.{extension}"
    dirty.write_bytes(make())
    assert personal(exiftool(dirty), tiff=extension == "tif"), "the fixture must be dirty"
    with handler.open(dirty.read_bytes()) as image:
        cleaned = tmp_path / f"clean.{extension}"
        cleaned.write_bytes(image.clean())
    assert personal(exiftool(cleaned), tiff=extension == "tif") == []
