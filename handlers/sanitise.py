"""Sanitising one file: the mode, the conversions, the handler, the report (issue 4).

Modes (the profile chooses per direction and level, core.profiles):

- ``structural``: rebuild the same format from an allow-list (docm becomes docx; RTF and
  legacy .doc/.xls/.ppt, which we cannot rebuild ourselves, are converted to OOXML first).
- ``pdf``: office documents (OOXML, ODF, RTF, legacy) are converted to PDF by LibreOffice,
  kept warm between jobs, then cleaned as PDF (LibreOffice copies the author into its PDF:
  metadata is stripped after converting, never only before).
- ``raster``: pages rendered to images and rebuilt as a PDF (optionally with an OCR text
  layer): nothing but pixels survives, Dangerzone's idea, with the text kept by OCR.

Formats with no page form (text, CSV, HTML, e-mail, archives) are cleaned structurally in
every mode; HTML is already converted to text, e-mail bodies too (Chiba 2(12)). Containers
clean each member through the same function, one level deeper (``clean_member``).

Conversions by LibreOffice run in the calling process's warm converter (its own process);
the cleaning itself runs in an isolated child (handlers.isolation) unless ``isolate=False``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from handlers.base import DEFAULT_OPTIONS, Cleaned, CleanOptions, Handler
from handlers.convert import to_ooxml, to_pdf
from handlers.detect import detect
from handlers.executables import refuse_executable
from handlers.isolation import DEFAULT_LIMITS, Limits, run_isolated
from handlers.limits import NestingTooDeep
from handlers.raster import image_to_pdf, rasterise
from handlers.registry import handler_for
from handlers.versions import tool_versions

Mode = Literal["structural", "pdf", "raster"]
MODES: tuple[Mode, ...] = ("structural", "pdf", "raster")
PDF = "application/pdf"
#: Most levels of containers (a ZIP in a mail in a ZIP ...) before a file is refused.
MAX_NESTING_DEPTH = 4

#: Formats LibreOffice turns into PDF for the ``pdf`` and ``raster`` modes.
OFFICE_TYPES = frozenset({
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    # normalise_mime lower-cases: libmagic writes "macroEnabled".
    "application/vnd.ms-word.document.macroenabled.12",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-powerpoint.presentation.macroenabled.12",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "text/rtf", "application/rtf",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
})
#: Formats we cannot rebuild ourselves: converted to OOXML even in ``structural`` mode.
LEGACY_TYPES = frozenset({"text/rtf", "application/rtf", "application/msword",
                          "application/vnd.ms-excel", "application/vnd.ms-powerpoint"})
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/tiff", "image/webp",
                         "image/bmp", "image/x-ms-bmp"})


@dataclass(frozen=True)
class SanitiseSettings:
    """What the profile (and the request) decide for one file."""

    mode: Mode = "structural"
    options: CleanOptions = DEFAULT_OPTIONS
    ocr: bool = False  # raster mode: add an OCR text layer (tesseract jpn)
    dpi: int = 150


DEFAULT_SETTINGS = SanitiseSettings()


@dataclass(frozen=True)
class SanitiseResult:
    data: bytes
    mime: str
    report: dict[str, Any] = field(default_factory=dict)


def sanitise_file(data: bytes, mime: str, settings: SanitiseSettings = DEFAULT_SETTINGS, *,
                  filename: str | None = None, isolate: bool = True,
                  limits: Limits = DEFAULT_LIMITS) -> SanitiseResult:
    """Clean one uploaded file; raises a SekishoError with a stable code when refused."""
    refuse_executable(mime, filename)
    converted, current, steps = _convert_first(data, mime, settings)
    if isolate:
        result = run_isolated(clean_converted, converted, current, settings, filename,
                              limits=limits)
    else:
        result = clean_converted(converted, current, settings, filename)
    report = {
        "mode": settings.mode,
        "input_mime": mime,
        "output_mime": result.mime,
        "conversions": steps + result.report.get("conversions", []),
        "sha256_before": hashlib.sha256(data).hexdigest(),
        "size_before": len(data),
        **{k: v for k, v in result.report.items() if k != "conversions"},
        "isolated": isolate,
    }
    report["tools"] = tool_versions(report["conversions"])
    return SanitiseResult(result.data, result.mime, report)


def _convert_first(data: bytes, mime: str, settings: SanitiseSettings
                   ) -> tuple[bytes, str, list[dict[str, str]]]:
    """LibreOffice conversions, done before isolation because the converter stays warm in
    this process; everything after runs on its output."""
    wants_pages = settings.mode in ("pdf", "raster") and mime in OFFICE_TYPES
    if not wants_pages and mime not in LEGACY_TYPES:
        return data, mime, []
    if wants_pages:
        return to_pdf(data, mime), PDF, [_step(mime, PDF, "libreoffice")]
    out, out_mime = to_ooxml(data, mime)
    return out, out_mime, [_step(mime, out_mime, "libreoffice")]


def _step(source: str, target: str, tool: str) -> dict[str, str]:
    return {"from": source, "to": target, "by": tool}


def clean_converted(data: bytes, mime: str, settings: SanitiseSettings,
                    filename: str | None = None) -> SanitiseResult:
    """Raster conversion when asked, then the format's handler (runs in the child)."""
    steps: list[dict[str, str]] = []
    if settings.mode == "raster" and (mime == PDF or mime in IMAGE_TYPES):
        source = data if mime == PDF else image_to_pdf(data)
        data = rasterise(source, dpi=settings.dpi, ocr=settings.ocr)
        steps.append(_step(mime, PDF, "pdfium+tesseract" if settings.ocr else "pdfium"))
        mime = PDF
    options = replace(settings.options, member_cleaner=_member_cleaner(settings))
    cleaned = clean_with_handler(handler_for(mime, filename), data, options)
    cleaned.report["conversions"] = steps
    return cleaned


def clean_with_handler(handler_class: type[Handler], data: bytes,
                       options: CleanOptions) -> SanitiseResult:
    with handler_class.open(data, options) as handler:
        before = handler.inspect()
        cleaned = handler.clean()
        out_mime = handler.output_mime()
        removed = dict(handler.removed)
    return SanitiseResult(cleaned, out_mime, {
        "before": before.to_dict(),
        "removed": removed,
        "notices": dict(before.notices),
        "sha256_after": hashlib.sha256(cleaned).hexdigest(),
        "size_after": len(cleaned),
        "verified": True,
    })


def _member_cleaner(settings: SanitiseSettings) -> Any:
    def clean_member(data: bytes, name: str, depth: int) -> Cleaned:
        return clean_member_at_depth(data, name, depth, settings)

    return clean_member


def clean_member_at_depth(data: bytes, name: str, depth: int,
                          settings: SanitiseSettings) -> Cleaned:
    """One member of a container (mail attachment, ZIP entry), structurally, in the same
    process (the whole container is already isolated)."""
    if depth > MAX_NESTING_DEPTH:
        raise NestingTooDeep(f"containers nested deeper than {MAX_NESTING_DEPTH} levels")
    mime = detect(data, name).mime
    refuse_executable(mime, name)
    nested = replace(settings.options, depth=depth)
    member_settings = replace(settings, mode="structural", options=nested)
    converted, current, steps = _convert_first(data, mime, member_settings)
    result = clean_converted(converted, current, member_settings, name)
    return Cleaned(result.data, result.mime, {**result.report, "conversions": steps})
