"""Image handler family: JPEG, PNG, GIF, TIFF, WebP and BMP, cleaned by re-encoding."""

from handlers.image.handler import (
    IMAGE_HANDLERS,
    BmpHandler,
    GifHandler,
    ImageHandler,
    JpegHandler,
    PngHandler,
    TiffHandler,
    WebpHandler,
)

__all__ = [
    "IMAGE_HANDLERS",
    "BmpHandler",
    "GifHandler",
    "ImageHandler",
    "JpegHandler",
    "PngHandler",
    "TiffHandler",
    "WebpHandler",
]
