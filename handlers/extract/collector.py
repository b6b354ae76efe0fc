"""The state one ``extract`` call shares across nesting levels, and the per-file collector.

Each format's extractor fills a ``Collector``: text chunks with the part they came from,
metadata, and what could not be read. Embedded content (attachments, archive members, images
in a document) goes through ``Collector.add_embedded``, which runs the dispatcher again one
level deeper with the same ``Budget``, so that limits hold for the whole upload rather than
per level (a zip of zips of zips cannot multiply them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core.errors import (
    EncryptedContent,
    LimitExceeded,
    SekishoError,
    UnsupportedContent,
)
from handlers.detect import sniff_mime
from handlers.extract.limits import (
    MAX_EMBEDDED_OBJECTS,
    MAX_METADATA_VALUE_CHARS,
    MAX_NESTING_DEPTH,
    MAX_TOTAL_EXPANDED_BYTES,
    ArchiveBomb,
)
from handlers.extract.result import (
    CORRUPT_PART,
    LIMIT_EXCEEDED,
    PASSWORD_PROTECTED,
    UNSUPPORTED_PART,
    Extraction,
    Incomplete,
    incomplete,
)
from handlers.limits import MAX_EXTRACTED_TEXT_CHARS, TextTooLong


@dataclass(slots=True)
class Budget:
    """Counters shared by every level of one ``extract`` call."""

    chars: int = 0
    expanded_bytes: int = 0
    embedded_objects: int = 0
    ocr_images: int = 0

    def charge_chars(self, count: int) -> None:
        self.chars += count
        if self.chars > MAX_EXTRACTED_TEXT_CHARS:
            # Same rule as the PDF extractor: truncating would hide content from the
            # classifier and under-classify, so the whole file is refused.
            raise TextTooLong(f"more than {MAX_EXTRACTED_TEXT_CHARS} characters of text")

    def charge_expanded(self, count: int) -> None:
        self.expanded_bytes += count
        if self.expanded_bytes > MAX_TOTAL_EXPANDED_BYTES:
            raise ArchiveBomb(f"more than {MAX_TOTAL_EXPANDED_BYTES} bytes decompressed")


#: The dispatcher: (bytes, detected MIME, context) -> Extraction. Injected by the API module
#: so that format modules can recurse without importing it (it imports them).
Recurse = Callable[[bytes, str, "Context"], Extraction]


@dataclass(frozen=True, slots=True)
class Context:
    ocr: bool
    recurse: Recurse
    budget: Budget = field(default_factory=Budget)
    depth: int = 0

    def child(self) -> Context:
        return Context(self.ocr, self.recurse, self.budget, self.depth + 1)


#: Refusals that stop the whole upload even when raised for an embedded part: a bomb inside
#: an attachment is still a bomb, and the character budget is for the whole upload.
_PROPAGATING_LIMITS = (ArchiveBomb, TextTooLong)


class Collector:
    """Accumulates one file's extraction; ``result()`` freezes it."""

    def __init__(self, mime: str, context: Context) -> None:
        self.mime = mime
        self.context = context
        self._texts: list[str] = []
        self._metadata: dict[str, str] = {}
        self._parts: list[str] = []
        self._incomplete: list[Incomplete] = []

    def add_text(self, text: str, part: str | None = None) -> None:
        """Add a chunk of text (skipped when blank); ``part`` is recorded once, in order."""
        chunk = text.strip("\n")
        if not chunk.strip():
            return
        self.context.budget.charge_chars(len(chunk) + 1)
        self._texts.append(chunk)
        if part is not None:
            self.add_part(part)

    def add_part(self, part: str) -> None:
        if part not in self._parts:
            self._parts.append(part)

    def add_metadata(self, key: str, value: str | None) -> None:
        """Record a metadata value; a second distinct value for a key is kept alongside."""
        cleaned = " ".join((value or "").split())
        if not cleaned:
            return
        if len(cleaned) > MAX_METADATA_VALUE_CHARS:
            cleaned = cleaned[:MAX_METADATA_VALUE_CHARS]
            self.add_incomplete(LIMIT_EXCEEDED, f"metadata:{key}")
        previous = self._metadata.get(key)
        if previous is None:
            self._metadata[key] = cleaned
        elif cleaned not in previous.split("; "):
            self._metadata[key] = f"{previous}; {cleaned}"

    def add_incomplete(self, reason: str, part: str | None = None) -> None:
        item = incomplete(reason, part)
        if item not in self._incomplete:
            self._incomplete.append(item)

    def add_embedded(self, untrusted_data: bytes, part: str, *, mime: str | None = None) -> None:
        """Extract an embedded file one level deeper and merge it under ``part``.

        The type is detected from the bytes; ``mime`` is only for a type the container's own
        structure establishes (a MIME tree's message/rfc822 part), never a declared label.
        """
        budget = self.context.budget
        budget.embedded_objects += 1
        if self.context.depth + 1 > MAX_NESTING_DEPTH or (
            budget.embedded_objects > MAX_EMBEDDED_OBJECTS
        ):
            self.add_incomplete(LIMIT_EXCEEDED, part)
            return
        mime = mime or sniff_mime(untrusted_data)
        try:
            child = self.context.recurse(untrusted_data, mime, self.context.child())
        except _PROPAGATING_LIMITS:
            raise
        except SekishoError as exc:
            self.add_incomplete(_reason_for(exc), f"{part}:{mime}")
            return
        self.merge(child, part, label=f"{part}:{mime}")

    def merge(self, child: Extraction, prefix: str, *, label: str | None = None) -> None:
        """Fold a nested extraction in: its parts, metadata keys and gaps under ``prefix``;
        ``label`` (the prefix with the detected type) is recorded as a part of its own."""
        if child.text.strip():
            # Already charged to the shared budget by the child's own collector.
            self._texts.append(child.text)
        self.add_part(label or prefix)
        for part in child.parts:
            self.add_part(f"{prefix}/{part}")
        for key, value in child.metadata.items():
            self.add_metadata(f"{prefix}:{key}", value)
        for item in child.incomplete:
            nested = f"{prefix}/{item.part}" if item.part else prefix
            self.add_incomplete(item.reason, nested)

    def result(self) -> Extraction:
        return Extraction(
            text="\n".join(self._texts),
            metadata=dict(self._metadata),
            incomplete=list(self._incomplete),
            parts=list(self._parts),
            mime=self.mime,
        )


def _reason_for(exc: SekishoError) -> str:
    if isinstance(exc, EncryptedContent):
        return PASSWORD_PROTECTED
    if isinstance(exc, LimitExceeded):
        return LIMIT_EXCEEDED
    if isinstance(exc, UnsupportedContent):
        return UNSUPPORTED_PART
    # CorruptFile, and any other refusal of the embedded file: its content was not read.
    return CORRUPT_PART
