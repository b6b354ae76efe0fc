"""Limits of the image sanitiser, as named constants, each refusal with its own error code.

Design: "Every parser has limits ... as named constants, each with its own error". Pillow's
own decompression-bomb bound (``Image.MAX_IMAGE_PIXELS``) is a process-wide setting that
other code relies on, so it is left alone: these limits are checked on the header before
any pixel is decoded, and they sit below Pillow's warning threshold (89.5 Mpx).
"""

from __future__ import annotations

from core.errors import LimitExceeded

#: Largest image file sanitised (the upload as a whole is bounded by the service as well).
MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024
#: Most pixels of one frame or page (an A4 page at 600 dpi is 35 Mpx; a 60 Mpx camera
#: photo passes). Decoding needs up to 4 bytes per pixel.
MAX_IMAGE_PIXELS = 80_000_000
#: Most pixels over every frame kept (multi-page TIFF scans keep all their pages).
MAX_TOTAL_PIXELS = 400_000_000
#: Most frames or pages in one file (counted on the structure, before decoding).
MAX_IMAGE_FRAMES = 1_000
#: Widest side accepted; a 1 x 80,000,000 strip is within the pixel bound but is no picture
#: a reader can see, and some encoders cannot write it.
MAX_IMAGE_SIDE = 65_500


class ImageTooLarge(LimitExceeded):
    """A frame declares more pixels (or a longer side) than the sanitiser decodes: the
    classic decompression bomb, a few KB of PNG that inflate to gigabytes."""

    code = "image_too_large"
    default_message = "the image has more pixels than the sanitiser decodes"


class ImagePixelsTotalTooLarge(LimitExceeded):
    code = "image_pixels_total_too_large"
    default_message = "the image's frames or pages together have more pixels than allowed"


class TooManyImageFrames(LimitExceeded):
    code = "too_many_image_frames"
    default_message = "the image has more frames or pages than the sanitiser accepts"
