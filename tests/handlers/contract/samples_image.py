"""Contract samples: JPEG, PNG, GIF, TIFF, WebP, BMP.

The MARKER is drawn into the pixels, so ``extract_text`` finds it only through OCR. The
proposed ``Sample.text_by_ocr`` flag lets ``test_cleaning_keeps_the_text`` skip when tesseract
with the jpn model is absent; until the lead adds the field, it is simply not passed. The
dirty samples store the picture rotated with EXIF Orientation=6 (TIFF: the orientation tag),
so the OCR of the cleaned file also proves that orientation was applied to the pixels.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable

from PIL import Image

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
from tests.fixtures.imagegen import make_text_image
from tests.handlers.contract import MARKER, Sample

SECRET = f"{MARKER}-author 写真撮影者"
_OCR: dict[str, bool] = (
    {"text_by_ocr": True} if "text_by_ocr" in Sample.__dataclass_fields__ else {}
)


@functools.cache
def _text_png() -> bytes:
    return make_text_image([f"{MARKER} 本文"], image_format="PNG")


def _picture() -> Image.Image:
    with Image.open(io.BytesIO(_text_png())) as image:
        return image.convert("RGB")


def _clean(image_format: str) -> Callable[[], bytes]:
    def build() -> bytes:
        out = io.BytesIO()
        picture = _picture()
        picture.save(out, image_format, **({"quality": 95} if image_format == "JPEG" else {}))
        return out.getvalue()

    return build


def _sample(handler: type[ImageHandler], image_format: str,
            dirty: Callable[[Image.Image, str], bytes], broken: bytes) -> Sample:
    return Sample(
        handler=handler,
        clean=_clean(image_format),
        dirty=lambda: dirty(_picture(), SECRET),
        broken=broken,
        labels=False,
        secrets=(SECRET,),
        **_OCR,  # type: ignore[arg-type]
    )


SAMPLES = {
    "image/jpeg": _sample(JpegHandler, "JPEG", dirty_jpeg,
                          b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 8),
    "image/png": _sample(PngHandler, "PNG", dirty_png,
                         b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00"),
    "image/gif": _sample(GifHandler, "GIF", dirty_gif, b"GIF89a\x10\x00\x10\x00\x80\x00\x00"),
    "image/tiff": _sample(TiffHandler, "TIFF", dirty_tiff, b"II*\x00\x08\x00\x00\x00\xff\xff"),
    "image/webp": _sample(WebpHandler, "WEBP", dirty_webp,
                          b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x00" * 6),
    "image/bmp": _sample(BmpHandler, "BMP", dirty_bmp,
                         b"BM\x46\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00"),
}
