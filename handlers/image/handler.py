"""Image handlers: JPEG, PNG, GIF, TIFF, WebP and BMP through one re-encoding pipeline.

Cleaning decodes the pixels and writes a new file of the same format from them alone
(handlers/image/pixels.py), so EXIF (with GPS and the embedded thumbnail), XMP, IPTC, ICC
profiles, comments, text chunks, private segments and appended data are gone without a list
of what to delete (Saitama 第3 4(3) 属性情報; Chiba 2(12) 無害化). EXIF orientation is
applied to the pixels first.

Frames: an animated GIF, WebP or PNG keeps its first frame only, and an MPO its primary
picture. The first frame is the one the classifier reads (handlers/extract/image.py OCRs
frame 0), so what is released is what was classified; animation is not document content
here. Multi-page TIFF keeps every page: those are scanned documents, and the extractor reads
each page.

Lossy formats (JPEG, WebP): a file whose structure already holds nothing but the picture
(no metadata segment, no orientation to apply, no profile, no appended bytes, one frame) and
whose pixels decode completely is returned unchanged rather than re-compressed: a second
lossy generation would only degrade it, and ``clean`` stays idempotent on its own output.

Labels: images have no property store in our design. The service keeps a sidecar label
(issue 4 item 5), so ``write_label`` only checks that the input is clean and returns it.
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from handlers.base import Handler, Inspection, LabelStamp, PropertyValue
from handlers.extract import extract
from handlers.image.chunks import scan_gif, scan_png, scan_webp
from handlers.image.jpeg import scan_jpeg
from handlers.image.limits import MAX_IMAGE_FILE_BYTES
from handlers.image.pixels import Decoded, decode, encode, open_image
from handlers.image.structure import ICC_PROFILE, Structure, scan_bmp
from handlers.limits import check_size


class ImageHandler(Handler):
    """One raster format; subclasses name the format, its MIME type and its walker."""

    mime: ClassVar[str]
    #: Pillow's format name, used both to restrict the decoder and to encode.
    image_format: ClassVar[str]
    #: Pillow plugins allowed to parse the input (MPO is Pillow's name for multi-picture JPEG).
    pillow_formats: ClassVar[tuple[str, ...]]
    #: Keep every frame (TIFF pages) rather than the first one.
    keeps_all_frames: ClassVar[bool] = False
    #: Lossy encoding: a canonical input is returned unchanged (see the module docstring).
    lossy: ClassVar[bool] = False
    label_metadata_keys: ClassVar[frozenset[str]] = frozenset()

    _structure: Structure
    _decoded: Decoded
    _properties: dict[str, PropertyValue]

    def _load(self) -> None:
        check_size(self._untrusted_data, MAX_IMAGE_FILE_BYTES)
        self._structure = self._scan(self._untrusted_data)
        with open_image(self._untrusted_data, self.pillow_formats) as image:
            width, height = image.size
            self._properties = {"format": self.image_format, "width": width,
                                "height": height, "mode": str(image.mode)}
            self._decoded = decode(image, all_frames=self.keeps_all_frames,
                                   tiff=self.image_format == "TIFF")
        self._properties["frames"] = max(self._structure.frames, len(self._decoded.frames))

    @staticmethod
    def _scan(untrusted_data: bytes, /) -> Structure:
        """The container walk; formats without framing to walk report nothing here."""
        return Structure()

    def inspect(self) -> Inspection:
        return Inspection(
            mime=self.mime,
            metadata_keys=tuple(sorted(self._structure.names | self._decoded.names)),
            hidden_data=dict(self._hidden()),
            properties=dict(self._properties),
        )

    def _hidden(self) -> Counter[str]:
        hidden = self._structure.kinds + self._decoded.kinds
        if self._decoded.applied[ICC_PROFILE]:
            # TIFF has no walker: its profile is seen through the decoder only.
            hidden[ICC_PROFILE] = max(hidden[ICC_PROFILE], 1)
        return hidden

    def extract_text(self) -> str:
        # The classifier's own reader: metadata text and, when tesseract is installed, the
        # OCR'd picture. An image without OCR has no text here, never a guess.
        return extract(self._untrusted_data, self.mime).text

    def _sanitise(self) -> tuple[bytes, dict[str, int]]:
        if self.lossy and self._canonical():
            return self._untrusted_data, {}
        cleaned = encode(self._decoded, self.image_format, lossless=self._structure.lossless)
        removed = self._hidden()
        removed |= self._decoded.applied  # Counter union: the larger count of each kind
        return cleaned, {kind: count for kind, count in removed.items() if count}

    def _canonical(self) -> bool:
        """Nothing but one decodable picture: re-encoding would only lose quality."""
        return not (self.inspect().problems() or self._decoded.applied) and (
            self._structure.frames == 1
        )

    @classmethod
    def write_label(cls, cleaned: bytes, stamp: LabelStamp) -> bytes:
        # No property store and no visible banner unless a profile asks for one (issue 4:
        # images keep a sidecar label). The file must still be a verified clean image.
        cls.verify(cleaned)
        return cleaned

    @classmethod
    def read_label(cls, data: bytes) -> dict[str, object] | None:
        return None


class JpegHandler(ImageHandler):
    mime = "image/jpeg"
    mime_types = frozenset({mime})
    output_mime_types = frozenset({mime})
    image_format = "JPEG"
    pillow_formats = ("JPEG", "MPO")
    lossy = True
    _scan = staticmethod(scan_jpeg)


class PngHandler(ImageHandler):
    mime = "image/png"
    mime_types = frozenset({mime})
    output_mime_types = frozenset({mime})
    image_format = "PNG"
    pillow_formats = ("PNG",)
    _scan = staticmethod(scan_png)


class GifHandler(ImageHandler):
    mime = "image/gif"
    mime_types = frozenset({mime})
    output_mime_types = frozenset({mime})
    image_format = "GIF"
    pillow_formats = ("GIF",)
    _scan = staticmethod(scan_gif)


class TiffHandler(ImageHandler):
    """TIFF has no framing to walk: its metadata are tags, read per page by the decoder."""

    mime = "image/tiff"
    mime_types = frozenset({mime})
    output_mime_types = frozenset({mime})
    image_format = "TIFF"
    pillow_formats = ("TIFF",)
    keeps_all_frames = True


class WebpHandler(ImageHandler):
    mime = "image/webp"
    mime_types = frozenset({mime})
    output_mime_types = frozenset({mime})
    image_format = "WEBP"
    pillow_formats = ("WEBP",)
    lossy = True
    _scan = staticmethod(scan_webp)


class BmpHandler(ImageHandler):
    mime = "image/bmp"
    mime_types = frozenset({mime})
    output_mime_types = frozenset({mime})
    image_format = "BMP"
    pillow_formats = ("BMP",)
    _scan = staticmethod(scan_bmp)


IMAGE_HANDLERS: tuple[type[ImageHandler], ...] = (
    JpegHandler, PngHandler, GifHandler, TiffHandler, WebpHandler, BmpHandler,
)
