"""Decoding an image to bare pixels, and encoding the pixels into a new file.

Nothing of the source file's Pillow object reaches the encoder: each frame is copied with an
empty ``info`` (Pillow's encoders otherwise carry ``comment``, ``icc_profile``, ``exif`` and,
for TIFF, XMP/IPTC/Photoshop tags over from the source), and the encoder receives only the
allow-listed parameters below: resolution (a scan's physical size, no personal data) and the
transparent colour. That is the rebuild-from-an-allow-list rule (design: fail closed) for
images.

Orientation is applied to the pixels before EXIF is dropped (otherwise a phone photo would
come out sideways). An embedded ICC profile is applied too, converting the pixels to sRGB,
and then dropped: profiles carry free text (description, copyright, device maker and model)
and private tags, so keeping one would keep text we cannot vet, while dropping it without
converting would shift wide-gamut colours. Where conversion is impossible (palette or grey
images, a broken profile) the profile is dropped and the pixels are kept as they are.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageCms, ImageOps

from core.errors import CorruptFile, UnsupportedContent
from handlers.image.limits import (
    MAX_IMAGE_FRAMES,
    MAX_IMAGE_PIXELS,
    MAX_IMAGE_SIDE,
    MAX_TOTAL_PIXELS,
    ImagePixelsTotalTooLarge,
    ImageTooLarge,
    TooManyImageFrames,
)
from handlers.image.structure import ICC_PROFILE
from handlers.image.tags import frame_metadata, orientation

#: JPEG quality of re-encoded photos: visually lossless, a second generation barely differs.
JPEG_QUALITY = 95
#: WebP quality (lossy) or compression effort (lossless).
WEBP_QUALITY = 95
ORIENTATION_APPLIED = "orientation_applied"
_MAX_DPI = 10_000.0
#: Modes each encoder writes as they are; other modes are converted first.
_MODES = {
    "JPEG": ("L", "RGB", "CMYK"),
    "PNG": ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"),
    "GIF": ("L", "P"),
    "TIFF": ("1", "L", "LA", "I", "I;16", "F", "P", "RGB", "RGBA", "CMYK"),
    "WEBP": ("RGB", "RGBA"),
    "BMP": ("1", "L", "P", "RGB", "RGBA"),
}
_TRANSPARENCY_FORMATS = frozenset({"PNG", "GIF"})


class ImageNotReencodable(UnsupportedContent):
    code = "image_not_reencodable"
    default_message = "the image's pixel format cannot be written back into its format"


@dataclass
class Decoded:
    """Bare frames (orientation and colour profile applied) and what was found on the way."""

    frames: list[Image.Image] = field(default_factory=list)
    dpi: tuple[float, float] | None = None
    transparency: int | bytes | tuple[int, ...] | None = None
    names: set[str] = field(default_factory=set)
    kinds: Counter[str] = field(default_factory=Counter)
    applied: Counter[str] = field(default_factory=Counter)


def open_image(untrusted_data: bytes, formats: Sequence[str]) -> Any:
    """Pillow's lazy open restricted to the expected plugins: headers only, no pixels."""
    try:
        image = Image.open(io.BytesIO(untrusted_data), formats=list(formats))
        _ = image.size
        return image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge("the image declares more pixels than Pillow decodes") from exc
    except Exception as exc:
        # Deliberately broad: plugins fed hostile bytes raise anything (SyntaxError,
        # struct.error, IndexError ...). The class name says which, never the content.
        raise CorruptFile(f"the image cannot be read ({type(exc).__name__})") from exc


def decode(image: Any, *, all_frames: bool, tiff: bool) -> Decoded:
    """Decode the first frame (or every page of a TIFF) within the pixel limits."""
    decoded = Decoded(dpi=_dpi(image.info), transparency=_transparency(image.info))
    total = 0
    while True:
        total += _check_frame_size(image)
        if total > MAX_TOTAL_PIXELS:
            raise ImagePixelsTotalTooLarge(f"more than {MAX_TOTAL_PIXELS} pixels in all")
        names, kinds = frame_metadata(image, tiff=tiff)
        decoded.names |= names
        decoded.kinds += kinds
        decoded.frames.append(_bare_frame(image, decoded.applied))
        if not all_frames or not _next_frame(image, len(decoded.frames)):
            return decoded


def _check_frame_size(image: Any) -> int:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise CorruptFile("the image has no pixels")
    if width * height > MAX_IMAGE_PIXELS or max(width, height) > MAX_IMAGE_SIDE:
        raise ImageTooLarge(f"a frame of {width} x {height} exceeds {MAX_IMAGE_PIXELS} pixels")
    return int(width * height)


def _next_frame(image: Any, index: int) -> bool:
    try:
        image.seek(index)
    except EOFError:
        return False
    except Exception as exc:  # a damaged page list
        raise CorruptFile(f"a page cannot be read ({type(exc).__name__})") from exc
    if index >= MAX_IMAGE_FRAMES:
        raise TooManyImageFrames(f"more than {MAX_IMAGE_FRAMES} pages")
    return True


def _bare_frame(image: Any, applied: Counter[str]) -> Image.Image:
    profile = image.info.get("icc_profile")
    # Read before decoding: Pillow's TIFF loader applies and deletes the tag itself.
    if orientation(image) != 1:
        applied[ORIENTATION_APPLIED] += 1
    try:
        turned = ImageOps.exif_transpose(image)  # decodes every pixel: truncation shows here
    except Exception as exc:
        raise CorruptFile(f"the pixel data cannot be decoded ({type(exc).__name__})") from exc
    turned.info = {}
    if isinstance(profile, bytes) and profile:
        applied[ICC_PROFILE] += 1
        turned = to_srgb(turned, profile)
    return turned


def to_srgb(frame: Image.Image, profile: bytes) -> Image.Image:
    """Apply an embedded ICC profile to RGB/RGBA/CMYK pixels; other frames stay as they are."""
    if frame.mode not in ("RGB", "RGBA", "CMYK"):
        return frame
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        target = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        mode = "RGBA" if frame.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(frame, source, target, outputMode=mode)
    except Exception:  # a broken or mismatched profile: colours were undefined anyway
        return frame
    if converted is None:
        return frame
    converted.info = {}
    return converted


def _dpi(info: dict[str, Any]) -> tuple[float, float] | None:
    value = info.get("dpi")
    if not isinstance(value, tuple) or len(value) != 2:
        return None
    try:
        x, y = (round(float(part), 4) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return (x, y) if 1.0 <= x <= _MAX_DPI and 1.0 <= y <= _MAX_DPI else None


def _transparency(info: dict[str, Any]) -> int | bytes | tuple[int, ...] | None:
    value = info.get("transparency")
    if isinstance(value, int) and 0 <= value <= 0xFFFF:
        return value
    if isinstance(value, bytes) and len(value) <= 256:
        return value
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value) and len(value) <= 4:
        return value
    return None


def _fits(transparency: object, mode: str) -> bool:
    """Whether a transparent colour matches the frame's mode (an ICC conversion or a mode
    change makes the source's value meaningless; it is then dropped)."""
    if isinstance(transparency, int):
        return mode in ("P", "L", "I", "I;16")
    if isinstance(transparency, bytes):
        return mode == "P"
    return isinstance(transparency, tuple) and mode == "RGB" and len(transparency) == 3


def encode(decoded: Decoded, image_format: str, *, lossless: bool = False) -> bytes:
    """A new file of ``image_format`` holding only the decoded frames."""
    frames = [_encodable(frame, image_format) for frame in decoded.frames]
    params = _params(decoded, image_format, frames, lossless)
    if len(frames) > 1:
        params.update(save_all=True, append_images=frames[1:])
    buffer = io.BytesIO()
    try:
        frames[0].save(buffer, image_format, **params)
    except Exception as exc:
        raise ImageNotReencodable(f"{image_format} cannot hold this image "
                                  f"({type(exc).__name__})") from exc
    return buffer.getvalue()


def _encodable(frame: Image.Image, image_format: str) -> Image.Image:
    if frame.mode in _MODES[image_format]:
        return frame
    alpha = "A" in frame.mode or "transparency" in frame.info
    if image_format == "GIF":
        return frame.convert("RGB").quantize(256)
    if image_format == "JPEG" or not alpha:
        return frame.convert("RGB")
    return frame.convert("RGBA")


def _params(decoded: Decoded, image_format: str, frames: list[Image.Image],
            lossless: bool) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if decoded.dpi is not None and image_format in ("JPEG", "PNG", "TIFF", "BMP"):
        params["dpi"] = decoded.dpi
    if image_format in _TRANSPARENCY_FORMATS and _fits(decoded.transparency, frames[0].mode):
        params["transparency"] = decoded.transparency
    if image_format == "JPEG":
        params["quality"] = JPEG_QUALITY
    elif image_format == "WEBP":
        params.update(lossless=lossless, quality=WEBP_QUALITY)
    elif image_format == "TIFF":
        bilevel = all(frame.mode == "1" for frame in frames)
        # Lossless either way: CCITT G4 for bilevel scans, Deflate for the rest.
        params["compression"] = "group4" if bilevel else "tiff_adobe_deflate"
    return params
