"""What every container handler (e-mail, ZIP) shares: cleaning a member through the
``CleanOptions.member_cleaner`` callback, the nesting-depth limit, and naming a member after
its cleaned type.

A member goes through its own handler, recursively (issue 4), but a container does not know
the registry: the caller injects the cleaner (handlers/sanitise.py in the service). Without
one, a container that has members refuses to run rather than passing them through.
"""

from __future__ import annotations

import posixpath
import unicodedata

from core.errors import ContentRejected, MalwareDetected, SekishoError, UnsupportedContent
from handlers.base import Cleaned, CleanOptions
from handlers.extract.limits import MAX_NESTING_DEPTH
from handlers.filenames import with_extension_for
from handlers.limits import NestingTooDeep
from handlers.text import BIDI_CONTROLS, CONTROL_CHARACTERS

#: Longest member or attachment name written (bytes of UTF-8; most file systems allow 255).
MAX_NAME_BYTES = 255
#: Refusals of one member that still stop the whole container: a detection quarantines the
#: upload (issue 4, malware scan), it is not quietly cut out of it.
PROPAGATING_ERRORS: tuple[type[SekishoError], ...] = (MalwareDetected,)


class MemberCleanerMissing(UnsupportedContent):
    code = "member_cleaner_missing"
    default_message = "this container has members, and no cleaner for them was configured"


def check_depth(depth: int) -> None:
    """Refuse a container (or member) nested deeper than ``MAX_NESTING_DEPTH``."""
    if depth > MAX_NESTING_DEPTH:
        raise NestingTooDeep(f"nesting depth {depth} exceeds {MAX_NESTING_DEPTH}")


def require_cleaner(options: CleanOptions) -> None:
    """Refuse the container (not just a member) when it has no cleaner for its members."""
    if options.member_cleaner is None:
        raise MemberCleanerMissing()


def clean_member(options: CleanOptions, untrusted_data: bytes, name: str) -> Cleaned:
    """One member through the injected cleaner, one level deeper."""
    if options.member_cleaner is None:
        raise MemberCleanerMissing()
    depth = options.depth + 1
    check_depth(depth)
    return options.member_cleaner(untrusted_data, name, depth)


def is_member_refusal(exc: BaseException) -> bool:
    """Whether ``exc`` refuses only the member (not the container or the whole job)."""
    return isinstance(exc, ContentRejected | UnsupportedContent) and not isinstance(
        exc, (*PROPAGATING_ERRORS, MemberCleanerMissing))


def clean_name_segment(untrusted_name: str) -> str:
    """A name without invisible controls (bidi overrides spoof extensions: ``gpj.exe``),
    normalised to NFC and cut to ``MAX_NAME_BYTES``; may be empty."""
    drop = BIDI_CONTROLS | CONTROL_CHARACTERS | {"\t", "\n", "\r"}
    name = unicodedata.normalize("NFC", "".join(c for c in untrusted_name if c not in drop))
    name = name.strip()
    encoded = name.encode("utf-8")
    if len(encoded) <= MAX_NAME_BYTES:
        return name
    stem, suffix = posixpath.splitext(name)
    keep = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    return stem.encode("utf-8")[:max(keep, 0)].decode("utf-8", "ignore") + suffix


def name_for_type(path: str, mime: str) -> str:
    """``path`` with an extension that fits the cleaned type (handlers.filenames): an HTML
    page converted to text must not keep ``.html``, or a browser renders the text as markup.
    Folders in a member path are kept."""
    folder, _, name = path.rpartition("/")
    renamed = with_extension_for(name, None, mime)
    return f"{folder}/{renamed}" if folder else renamed
