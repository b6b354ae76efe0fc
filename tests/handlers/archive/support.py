"""A member cleaner for container tests: the existing handlers, dispatched by detected type.

The service wires the real recursive cleaner (handlers/sanitise.py, through the registry);
this one covers the types these tests put into mail and archives, with the same signature
(handlers.base.MemberCleaner) and the same rules: the type comes from the bytes, nested
containers get the cleaner and their depth, and unsupported types are refused.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.errors import UnsupportedContent
from handlers.archive import ZipHandler
from handlers.base import Cleaned, CleanOptions, Handler, MemberCleaner
from handlers.detect import detect
from handlers.mail import MailHandler
from handlers.pdf import PdfHandler
from handlers.text import TextHandler
from handlers.textual import CsvHandler, HtmlHandler

TEST_HANDLERS: Mapping[str, type[Handler]] = {
    "application/pdf": PdfHandler,
    "text/plain": TextHandler,
    "text/csv": CsvHandler,
    "text/html": HtmlHandler,
    "message/rfc822": MailHandler,
    "application/zip": ZipHandler,
}


def make_member_cleaner(*, remove_links: bool = False,
                        calls: list[tuple[str, int]] | None = None) -> MemberCleaner:
    """A cleaner; ``calls`` (if given) records ``(detected type, depth)`` of each member."""

    def clean(untrusted_data: bytes, name: str, depth: int) -> Cleaned:
        mime = detect(untrusted_data, name).mime
        if calls is not None:
            calls.append((mime, depth))
        handler_class = TEST_HANDLERS.get(mime)
        if handler_class is None:
            raise UnsupportedContent(f"no handler for {mime}")
        options = CleanOptions(remove_links=remove_links, depth=depth, member_cleaner=clean)
        with handler_class.open(untrusted_data, options) as handler:
            cleaned = handler.clean()
            return Cleaned(cleaned, handler.output_mime(), {"removed": dict(handler.removed)})

    return clean


def options_with_cleaner(**kwargs: bool) -> CleanOptions:
    return CleanOptions(member_cleaner=make_member_cleaner(**kwargs))
