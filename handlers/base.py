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

Every family (PDF, OOXML, ODF, images, text/CSV/HTML, mail, archives) implements this
class. A converting handler (docm -> docx, HTML -> text) overrides ``output_mime`` and, when
another handler must judge its output, ``output_verifier``. ``CleanOptions`` carries what the
profile decides (links kept or removed, tracked changes accepted or refused, ...) and, for
containers, the callback that cleans each member through its own handler.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import ClassVar, Literal, Self

from core.errors import (
    ContentRejected,
    RefusedByProfile,
    SekishoError,
    UnsupportedContent,
    VerificationFailed,
)
from handlers.detect import detect
from handlers.findings import POLYGLOT
from handlers.limits import LabelTooLarge

#: What a profile does with content that is reported rather than removed (tracked changes,
#: hidden sheets or text): keep it and report it, or refuse the file (issue 4).
NoticePolicy = Literal["report", "refuse"]


@dataclass(frozen=True)
class Cleaned:
    """A container member after its own handler cleaned it (see ``CleanOptions``)."""

    data: bytes
    mime: str
    report: Mapping[str, object]


#: Cleans one member of a container (e-mail attachment, ZIP member): bytes and a name in,
#: the cleaned member out, or a ContentRejected/UnsupportedContent error that the container
#: handler turns into "member dropped" or "whole file refused". ``depth`` is the member's
#: nesting depth, checked against the limit by the callee.
MemberCleaner = Callable[[bytes, str, int], Cleaned]


@dataclass(frozen=True)
class CleanOptions:
    """Per-profile choices a handler needs; the defaults are the strict ones."""

    #: Remove hyperlinks (PDF /URI actions, OOXML hyperlink relationships): profile option.
    remove_links: bool = False
    #: Tracked changes (OOXML/ODF revisions): reported, or the file refused.
    tracked_changes: NoticePolicy = "report"
    #: Hidden sheets, hidden text, hidden slides: reported, or the file refused.
    hidden_content: NoticePolicy = "report"
    #: Nesting depth of this file inside containers (0: the uploaded file itself).
    depth: int = 0
    #: How containers clean their members; None: containers refuse to run (no recursion).
    member_cleaner: MemberCleaner | None = None

    def check_notices(self, notices: Mapping[str, int]) -> None:
        """Refuse the file when it holds reported content the profile refuses."""
        refused = [kind for kind, n in notices.items() if n and self._refuses(kind)]
        if refused:
            raise RefusedByProfile("the profile refuses files with: " + ", ".join(sorted(refused)))

    def _refuses(self, kind: str) -> bool:
        if kind in TRACKED_CHANGE_KINDS:
            return self.tracked_changes == "refuse"
        if kind in HIDDEN_CONTENT_KINDS:
            return self.hidden_content == "refuse"
        return False


#: Notice kinds (``Inspection.notices``) governed by ``CleanOptions.tracked_changes``.
TRACKED_CHANGE_KINDS = frozenset({"tracked_changes"})
#: Notice kinds governed by ``CleanOptions.hidden_content``.
HIDDEN_CONTENT_KINDS = frozenset({"hidden_sheets", "hidden_text", "hidden_slides",
                                  "hidden_rows_or_columns"})
DEFAULT_OPTIONS = CleanOptions()


@dataclass(frozen=True)
class LabelStamp:
    """What ``write_label`` puts into a file (Chiba 6.2(2): the classification is shown in
    the file's properties and in its header/footer; LBL-01).

    ``label`` is the machine-readable label (canonical codes), embedded as JSON in the
    format's property store and read back by ``read_label``. ``visible`` is the line shown
    on every page, sheet or slide, in the profile's own words (e.g.
    "機密性2（中）情報　取扱制限：複製禁止"). ``file_prefix`` goes before the file name
    (e.g. "【機密性2】").
    """

    label: Mapping[str, object]
    visible: str
    file_prefix: str = ""

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
    #: Kind -> count of content that is reported but kept unless the profile refuses it
    #: (``tracked_changes``, ``hidden_sheets``, ``hidden_text``...; see CleanOptions).
    notices: Mapping[str, int] = field(default_factory=dict)

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
            "notices": dict(self.notices),
        }


def unlabellable(exc: SekishoError) -> SekishoError:
    """A file given to ``write_label`` that does not even open: it is not a verified clean
    file, so it gets the same refusal as one that fails verification. A label too large to
    embed keeps its own code: the file is not at fault."""
    if isinstance(exc, (VerificationFailed, LabelTooLarge)):
        return exc
    return VerificationFailed(f"the file to label does not open ({exc.code})")


class Handler(ABC):
    """One format family. Subclasses set ``mime_types`` and implement the abstract methods."""

    #: Detected MIME types this handler accepts (the registry maps them to the class).
    mime_types: ClassVar[frozenset[str]]
    #: MIME types ``clean`` may produce; verification refuses any other detected type.
    output_mime_types: ClassVar[frozenset[str]]
    #: Metadata keys ``write_label`` writes; the only ones ``verify`` accepts.
    label_metadata_keys: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, untrusted_data: bytes, options: CleanOptions = DEFAULT_OPTIONS) -> None:
        self._untrusted_data = untrusted_data
        self.options = options
        self._removed: dict[str, int] = {}
        self._load()

    @classmethod
    def open(cls, untrusted_data: bytes, options: CleanOptions = DEFAULT_OPTIONS) -> Self:
        """Parse and validate at once; raises a ContentRejected subclass for refused input."""
        return cls(untrusted_data, options)

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

        Content the profile refuses (``CleanOptions``) raises RefusedByProfile first.
        Verification runs here as well as in the pipeline: an unverified output is never
        returned, so a caller cannot forget the step (design: fail closed).
        """
        self.options.check_notices(self.inspect().notices)
        cleaned, removed = self._sanitise()
        self.output_verifier().verify(cleaned)
        self._removed = removed
        return cleaned

    def output_mime(self) -> str:
        """The MIME type ``clean()`` produces (converting handlers override this)."""
        return self.inspect().mime

    def output_verifier(self) -> type[Handler]:
        """The handler class that verifies ``clean()``'s output (and labels it)."""
        return type(self)

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
    def write_label(cls, cleaned: bytes, stamp: LabelStamp) -> bytes:
        """Write our label into a cleaned file (properties, and the visible header/footer
        where the format has one) and return the new, verified file."""

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
