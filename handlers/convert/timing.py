"""Timing helpers for the benchmark (bench/ owns the runs; nothing here is measured in tests).

Issue 4 target: ``pdf`` mode at most 0.5 s per small DOCX with the warm converter.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

from handlers.convert import to_pdf
from handlers.convert.office import OfficeConverter


@dataclass(frozen=True)
class ConversionTiming:
    cold_seconds: float
    warm_seconds: tuple[float, ...]

    @property
    def warm_median(self) -> float:
        return statistics.median(self.warm_seconds)

    def to_dict(self) -> dict[str, float]:
        return {"cold_s": round(self.cold_seconds, 4),
                "warm_median_s": round(self.warm_median, 4),
                "warm_max_s": round(max(self.warm_seconds), 4)}


def time_pdf_conversions(documents: Sequence[bytes], mime: str) -> ConversionTiming:
    """Convert each document to PDF with a fresh converter: the first call includes the
    cold start of LibreOffice, the others run warm."""
    if len(documents) < 2:
        raise ValueError("at least two documents: one cold, one or more warm")
    converter = OfficeConverter()
    try:
        seconds = []
        for document in documents:
            start = time.perf_counter()
            to_pdf(document, mime, converter=converter)
            seconds.append(time.perf_counter() - start)
    finally:
        converter.close()
    return ConversionTiming(seconds[0], tuple(seconds[1:]))
