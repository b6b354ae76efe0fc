"""Limits and refusals of the ZIP sanitiser, each with its own error code.

Reused from the extractor's bounded reader (handlers/extract/zipsafe.py): the archive's size
(``file_too_large``), its member count (``too_many_members``, at the reader's bound), the
declared expansion and the per-member compression ratio (``archive_bomb``), one member's
size (``member_too_large``). The sanitiser adds tighter bounds of its own, because it holds
every cleaned member in memory and runs a handler for each: fewer members and less total
expansion. Nesting depth is handlers/archive/nested.py's ``nesting_too_deep``.
"""

from __future__ import annotations

from core.errors import ContentRejected, LimitExceeded
from handlers.extract.limits import TooManyMembers

__all__ = [
    "MAX_CLEAN_EXPANDED_BYTES", "MAX_CLEAN_MEMBERS", "MAX_MEMBER_PATH_CHARS",
    "ArchiveExpansionTooLarge", "ArchiveMemberRefused", "DuplicateMember", "SpecialFileMember",
    "SymlinkMember", "TooManyMembers", "UnsafeMemberPath",
]

#: Most members cleaned from one archive (each goes through its own handler).
MAX_CLEAN_MEMBERS = 1_000
#: Sum of the members' declared sizes, and again of their cleaned sizes.
MAX_CLEAN_EXPANDED_BYTES = 512 * 1024 * 1024
#: Longest member path (characters).
MAX_MEMBER_PATH_CHARS = 1_024


class ArchiveExpansionTooLarge(LimitExceeded):
    code = "archive_expansion_too_large"
    default_message = "the archive's members are larger in total than this handler cleans"


class UnsafeMemberPath(ContentRejected):
    """A path that leaves the extraction directory or means different files to different
    tools: ``..``, absolute paths, drive letters, backslashes, control characters."""

    code = "unsafe_member_path"
    default_message = "an archive member has an unsafe path"


class SymlinkMember(ContentRejected):
    code = "symlink_member"
    default_message = "an archive member is a symbolic link"


class SpecialFileMember(ContentRejected):
    code = "special_file_member"
    default_message = "an archive member is a device, pipe or socket"


class DuplicateMember(ContentRejected):
    """Two members that extract to the same file (same name, case or Unicode form apart, or
    a file where another member needs a folder): which one wins depends on the tool."""

    code = "duplicate_member"
    default_message = "two archive members have the same name"


class ArchiveMemberRefused(ContentRejected):
    """A member could not be cleaned, so the archive is refused (fail closed). Names the
    member by position and its own error code, never by its name or content."""

    code = "archive_member_refused"
    default_message = "an archive member was refused"

    def __init__(self, path: tuple[int, ...], member_code: str) -> None:
        # ``path``: positions from this archive down to the refused member (1/3: the third
        # member of the archive that is this archive's first member).
        super().__init__(f"member {'/'.join(map(str, path))} was refused ({member_code})")
        self.member_path = path
        self.member_index = path[0]
        self.member_code = member_code
