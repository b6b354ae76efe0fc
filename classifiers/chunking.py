"""Overlapping chunks for NER: Sudachi (GiNZA's tokenizer) refuses input over 49,149 bytes.

Chunk i covers ``[start, end)`` and owns the results that START in ``[keep_from, keep_to)``;
consecutive chunks overlap by ``overlap`` characters and the ownership boundary sits in the
middle of the overlap. An entity no longer than half the overlap that straddles a chunk end
therefore lies whole inside the chunk that owns it, and is reported by exactly one chunk.
Chunks end at a line break or 。 near their limit when there is one, so sentences stay whole.
"""

from __future__ import annotations

from dataclasses import dataclass

SUDACHI_MAX_BYTES = 49_149
DEFAULT_OVERLAP = 256
# Cut at a sentence or line end found in the last fifth of a chunk.
_SOFT_ZONE = 5


@dataclass(frozen=True)
class Chunk:
    start: int
    end: int
    keep_from: int
    keep_to: int

    def owns(self, start: int) -> bool:
        """Whether a result starting at (whole-text) ``start`` belongs to this chunk."""
        return self.keep_from <= start < self.keep_to


def _fits(text: str, start: int, max_bytes: int) -> int:
    """The largest end such that text[start:end] encodes to at most ``max_bytes`` bytes."""
    end = min(len(text), start + max_bytes)  # at least one byte per character
    size = len(text[start:end].encode("utf-8"))
    while size > max_bytes:
        end = start + max(1, (end - start) * max_bytes // size)
        size = len(text[start:end].encode("utf-8"))
    return end


def _soft_end(text: str, start: int, end: int) -> int:
    if end >= len(text):
        return end
    floor = end - (end - start) // _SOFT_ZONE
    cut = max(text.rfind("\n", floor, end), text.rfind("。", floor, end))
    return cut + 1 if cut >= floor else end


def chunk_text(text: str, max_bytes: int = SUDACHI_MAX_BYTES,
               overlap: int = DEFAULT_OVERLAP) -> list[Chunk]:
    """Chunks of at most ``max_bytes`` UTF-8 bytes covering ``text``, overlapping."""
    # A chunk holds at least max_bytes / 4 characters, 4/5 of that after a soft cut: it must
    # stay well longer than the overlap, or chunking would not advance.
    if max_bytes < 8 * (overlap + 1):
        raise ValueError("max_bytes must be at least 8 times the overlap")
    bounds: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        end = _soft_end(text, start, _fits(text, start, max_bytes))
        bounds.append((start, end))
        if end >= len(text):
            break
        start = max(start + 1, end - overlap)
    chunks = []
    keep_from = 0
    for i, (start, end) in enumerate(bounds):
        last = i == len(bounds) - 1
        keep_to = len(text) if last else end - (end - bounds[i + 1][0]) // 2
        chunks.append(Chunk(start, end, keep_from, keep_to))
        keep_from = keep_to
    return chunks
