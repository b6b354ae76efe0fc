"""The handler contract every format family implements.

A handler works on bytes in memory (the service decrypts into memory; plaintext never goes
to a temporary file). Its life cycle:

``open(data)``        validate at once: corrupt -> CorruptFile, password-protected ->
                      EncryptedContent, over a limit -> a LimitExceeded subclass.
``inspect()``         what metadata and active content is there, as a JSON-able report that
                      names keys and counts kinds but never carries values or content.
``extract_text()``    text for the classifier.
``clean()``           a new file rebuilt without anything on the removal list; returned only
                      after ``verify`` accepted it (Chiba 2(12) 無害化).
``verify(cleaned)``   a fresh open + inspect of the output; VerificationFailed if anything on
                      the removal list, or metadata other than our label, is still there.
``write_label`` /     write back only our label after stripping everything (Chiba 6.2(2),
``read_label``        LBL-01: the label is shown in the file's properties).

Later format families (OOXML, ODF, images, mail, archives) implement the same class; a
converting handler sets ``output_mime_types`` to what its ``clean`` produces.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import ClassVar, Self

from core.errors import ContentRejected, UnsupportedContent, VerificationFailed
from handlers.detect import detect
from handlers.findings import POLYGLOT

#: JSON scalars allowed in ``Inspection.properties``: structural facts, never content.
PropertyValue = str | int | bool


@dataclass(frozen=True)
class Inspection:
    """What a file contains, by name and count only (Saitama 第3 4(3) 属性情報: metadata is
    reported as the *presence* of attributes; their values may themselves be sensitive)."""

    mime: str
    #: Names of metadata fields present (e.g. ``/Author``, ``XMP``), never their values.
    metadata_keys: tuple[str, ...] = ()
    #: Kind -> count of executable or outward-reaching content (scripts, actions, attachments).
    active_content: Mapping[str, int] = field(default_factory=dict)
    #: Kind -> count of other removable data (XMP, thumbnails, private application data…).
    hidden_data: Mapping[str, int] = field(default_factory=dict)
    #: Structural facts (page count, version, encoding).
    properties: Mapping[str, PropertyValue] = field(default_factory=dict)

    def removable(self) -> dict[str, int]:
        """Every kind ``clean`` would remove, with its count."""
        return {**self.hidden_data, **self.active_content}

    def problems(self, allowed_metadata_keys: Iterable[str] = ()) -> list[str]:
        """Reasons this file is not clean: removable kinds and metadata beyond the allowed."""
        allowed = frozenset(allowed_metadata_keys)
        extra_keys = [f"metadata:{key}" for key in self.metadata_keys if key not in allowed]
        return sorted(self.removable()) + extra_keys

    def to_dict(self) -> dict[str, object]:
        return {
            "mime": self.mime,
            "metadata_keys": list(self.metadata_keys),
            "active_content": dict(self.active_content),
            "hidden_data": dict(self.hidden_data),
            "properties": dict(self.properties),
        }


class Handler(ABC):
    """One format family. Subclasses set ``mime_types`` and implement the abstract methods."""

    #: Detected MIME types this handler accepts (the registry maps them to the class).
    mime_types: ClassVar[frozenset[str]]
    #: MIME types ``clean`` may produce; verification refuses any other detected type.
    output_mime_types: ClassVar[frozenset[str]]
    #: Metadata keys ``write_label`` writes; the only ones ``verify`` accepts.
    label_metadata_keys: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, untrusted_data: bytes) -> None:
        self._untrusted_data = untrusted_data
        self._removed: dict[str, int] = {}
        self._load()

    @classmethod
    def open(cls, untrusted_data: bytes) -> Self:
        """Parse and validate at once; raises a ContentRejected subclass for refused input."""
        return cls(untrusted_data)

    @abstractmethod
    def _load(self) -> None:
        """Parse ``self._untrusted_data`` and enforce the handler's limits."""

    @abstractmethod
    def inspect(self) -> Inspection:
        """Report metadata keys and active content; never values or content."""

    @abstractmethod
    def extract_text(self) -> str:
        """All text a reader could see, for the classifier."""

    @abstractmethod
    def _sanitise(self) -> tuple[bytes, dict[str, int]]:
        """Build the cleaned file from the original bytes; return it and removal counts."""

    def clean(self) -> bytes:
        """A new, verified file without anything on the removal list.

        Verification runs here as well as in the pipeline: an unverified output is never
        returned, so a caller cannot forget the step (design: fail closed).
        """
        cleaned, removed = self._sanitise()
        type(self).verify(cleaned)
        self._removed = removed
        return cleaned

    @property
    def removed(self) -> Mapping[str, int]:
        """Kind -> number of removal sites of the last ``clean()`` (empty before it)."""
        return dict(self._removed)

    @classmethod
    def verify(cls, cleaned: bytes) -> Inspection:
        """Fresh open + inspect of an output; VerificationFailed unless it is clean."""
        try:
            with cls.open(cleaned) as fresh:
                inspection = fresh.inspect()
                problems = inspection.problems(cls.label_metadata_keys)
                problems += fresh._output_problems()
        except (ContentRejected, UnsupportedContent) as exc:
            if isinstance(exc, VerificationFailed):
                raise
            raise VerificationFailed(f"the output does not re-open ({exc.code})") from exc
        problems += cls._detection_problems(cleaned)
        if problems:
            raise VerificationFailed("the output still contains: " + ", ".join(problems))
        return inspection

    @classmethod
    def _detection_problems(cls, cleaned: bytes) -> list[str]:
        detection = detect(cleaned)
        problems = [] if detection.mime in cls.output_mime_types else ["type:" + detection.mime]
        if detection.has(POLYGLOT):
            problems.append("polyglot")
        return problems

    def _output_problems(self) -> list[str]:
        """Format-specific reasons an output is not acceptable (e.g. wrong text encoding)."""
        return []

    @classmethod
    @abstractmethod
    def write_label(cls, cleaned: bytes, label: Mapping[str, object]) -> bytes:
        """Write only our label into a cleaned file's properties and return the new file."""

    @classmethod
    @abstractmethod
    def read_label(cls, data: bytes) -> dict[str, object] | None:
        """The label ``write_label`` wrote, or None if the file carries none."""

    def close(self) -> None:  # noqa: B027 - optional hook: text holds no parser resources
        """Release parser resources; the handler is unusable afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
