"""ZipHandler: a ZIP archive rebuilt from its cleaned members.

Every member goes through its own handler, recursively, by ``CleanOptions.member_cleaner``
(issue 4). Fail closed: a member that cannot be read or cleaned refuses the whole archive
(ArchiveMemberRefused names its position and its error code, never its name or content),
because an archive released without one of its files is not the archive the person sent, and
silently missing files are how mistakes go unnoticed. A malware detection in a member is
raised as it is (the upload is quarantined). Without a member cleaner an archive that has
members is refused (MemberCleanerMissing).

Refused at open (handlers/archive/paths.py, handlers/archive/limits.py): encrypted members,
path traversal and other unsafe paths, symbolic links and special files, duplicate names,
bombs and oversized archives. Dropped and counted: directory entries, OS metadata files
(Thumbs.db, .DS_Store, __MACOSX), the archive and member comments, extra fields, timestamps
and permissions (handlers/archive/build.py writes its own). Zero-length members are kept as
they are: nothing in them can be cleaned or hidden, and refusing them would refuse ordinary
archives.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from core.errors import CorruptFile, EncryptedContent, SekishoError
from handlers.archive.build import (
    FILE_ATTRIBUTES,
    FIXED_DATE_TIME,
    build_archive,
    comment_label,
)
from handlers.archive.limits import (
    MAX_CLEAN_EXPANDED_BYTES,
    MAX_CLEAN_MEMBERS,
    ArchiveExpansionTooLarge,
    ArchiveMemberRefused,
    TooManyMembers,
)
from handlers.archive.nested import (
    check_depth,
    clean_member,
    is_member_refusal,
    name_for_type,
    require_cleaner,
)
from handlers.archive.paths import (
    check_file_type,
    check_path,
    check_unique,
    decoded_name,
    is_os_metadata,
)
from handlers.base import Handler, Inspection, LabelStamp
from handlers.extract import extract
from handlers.extract.collector import Budget
from handlers.extract.zipsafe import SafeZip
from handlers.text import LABEL_KEY

APPLICATION_ZIP = "application/zip"
_ENCRYPTED_FLAG = 0x1
_WRITTEN_METHODS = frozenset({zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED})


@dataclass(frozen=True)
class Member:
    """A member to clean: its entry, its decoded name, its 1-based position in the archive."""

    info: zipfile.ZipInfo = field(repr=False)
    name: str = field(repr=False)
    index: int


@dataclass(frozen=True)
class ArchiveFacts:
    """What the bounded reader does not expose: comment, directories, leading bytes."""

    comment: bytes = field(repr=False)
    directories: int
    first_offset: int
    names_in_order: tuple[str, ...] = field(repr=False)


def archive_facts(untrusted_data: bytes) -> ArchiveFacts:
    try:
        with zipfile.ZipFile(io.BytesIO(untrusted_data)) as archive:
            infos = archive.infolist()
            return ArchiveFacts(
                comment=archive.comment,
                directories=sum(1 for info in infos if info.is_dir()),
                first_offset=min((info.header_offset for info in infos), default=0),
                names_in_order=tuple(info.filename for info in infos),
            )
    except Exception as exc:  # as in zipsafe: a hostile directory raises more than BadZipFile
        raise CorruptFile(f"the archive cannot be read ({type(exc).__name__})") from exc


class ZipHandler(Handler):
    """application/zip in and out; members cleaned by their own handlers."""

    mime_types = frozenset({APPLICATION_ZIP})
    output_mime_types = frozenset({APPLICATION_ZIP})
    label_metadata_keys = frozenset({LABEL_KEY})

    _zip: SafeZip
    _facts: ArchiveFacts
    _members: list[Member]
    _os_metadata: int
    _member_reports: list[dict[str, object]]

    def _load(self) -> None:
        check_depth(self.options.depth)
        self._zip = SafeZip(self._untrusted_data, Budget())
        self._facts = archive_facts(self._untrusted_data)
        if any(info.flag_bits & _ENCRYPTED_FLAG for info in self._zip):
            raise EncryptedContent("the archive has encrypted members")
        self._members, self._os_metadata, self._member_reports = [], 0, []
        for index, info in enumerate(self._zip, start=1):
            name = decoded_name(info)
            if is_os_metadata(name):
                self._os_metadata += 1
                continue
            check_path(name)
            check_file_type(info)
            self._members.append(Member(info, name, index))
        self._check_limits()
        check_unique(member.name for member in self._members)

    def _check_limits(self) -> None:
        if len(self._members) > MAX_CLEAN_MEMBERS:
            raise TooManyMembers(f"more than {MAX_CLEAN_MEMBERS} members to clean")
        if sum(m.info.file_size for m in self._members) > MAX_CLEAN_EXPANDED_BYTES:
            raise ArchiveExpansionTooLarge(f"members exceed {MAX_CLEAN_EXPANDED_BYTES} bytes")

    # --- inspection -------------------------------------------------------------------------

    def inspect(self) -> Inspection:
        infos = [m.info for m in self._members]
        labelled = comment_label(self._facts.comment) is not None
        hidden = {
            "archive_comment": int(bool(self._facts.comment) and not labelled),
            "member_comment": sum(1 for i in infos if i.comment),
            "extra_field": sum(1 for i in infos if i.extra),
            "member_timestamp": sum(1 for i in infos if i.date_time != FIXED_DATE_TIME),
            "file_permissions": sum(1 for i in infos if i.external_attr != FILE_ATTRIBUTES),
            "directory_entry": self._facts.directories,
            "os_metadata_file": self._os_metadata,
            "prepended_data": int(self._facts.first_offset > 0),
        }
        return Inspection(
            mime=APPLICATION_ZIP,
            metadata_keys=(LABEL_KEY,) if labelled else (),
            hidden_data={kind: n for kind, n in hidden.items() if n},
            properties={
                "members": len(self._members),
                "expanded_bytes": sum(i.file_size for i in infos),
            },
        )

    def extract_text(self) -> str:
        # The classifier's reader, recursively over every member (without OCR: pictures are
        # the image handler's and the classifier's business).
        return extract(self._untrusted_data, APPLICATION_ZIP, ocr=False).text

    # --- cleaning ---------------------------------------------------------------------------

    def _sanitise(self) -> tuple[bytes, dict[str, int]]:
        inspection = self.inspect()
        removed = dict(inspection.removable())
        removed.update({key: 1 for key in inspection.metadata_keys})
        self._member_reports = []
        if self._members:
            require_cleaner(self.options)
        cleaned = [self._clean(member) for member in self._members]
        # Renaming after a type change (page.html -> page.txt) can meet another member.
        check_unique(name for name, _data in cleaned)
        if sum(len(data) for _name, data in cleaned) > MAX_CLEAN_EXPANDED_BYTES:
            raise ArchiveExpansionTooLarge("the cleaned members are too large in total")
        return build_archive(dict(cleaned)), removed

    def _clean(self, member: Member) -> tuple[str, bytes]:
        """The member's new name and cleaned bytes; ArchiveMemberRefused if it cannot be."""
        try:
            data = self._zip.read(member.info)
            if not data:
                return member.name, data
            result = clean_member(self.options, data, member.name)
        except SekishoError as exc:
            if not is_member_refusal(exc):
                raise
            if isinstance(exc, ArchiveMemberRefused):  # a nested archive: say where inside
                raise ArchiveMemberRefused((member.index, *exc.member_path),
                                           exc.member_code) from exc
            raise ArchiveMemberRefused((member.index,), exc.code) from exc
        self._member_reports.append({"position": member.index, "mime": result.mime,
                                     "report": dict(result.report)})
        return name_for_type(member.name, result.mime), result.data

    @property
    def member_reports(self) -> list[dict[str, object]]:
        """Per member of the last ``clean()``, by position in the archive: the cleaned type
        and the member cleaner's report. Never names or content."""
        return list(self._member_reports)

    def _output_problems(self) -> list[str]:
        names = self._facts.names_in_order
        problems = [] if list(names) == sorted(names) else ["member_order"]
        if any(m.info.compress_type not in _WRITTEN_METHODS for m in self._members):
            problems.append("compression_method")
        return problems

    # --- labels -----------------------------------------------------------------------------

    @classmethod
    def write_label(cls, cleaned: bytes, stamp: LabelStamp) -> bytes:
        # Only a verified clean archive is labelled; the labelled one is verified again.
        cls.verify(cleaned)
        with cls.open(cleaned) as archive:
            members = {m.name: archive._zip.read(m.info) for m in archive._members}
        labelled = build_archive(members, stamp.label)
        cls.verify(labelled)
        return labelled

    @classmethod
    def read_label(cls, data: bytes) -> dict[str, object] | None:
        try:
            return comment_label(archive_facts(data).comment)
        except CorruptFile:
            return None
