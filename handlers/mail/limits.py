"""Limits of the e-mail sanitiser, each refusal with its own error code (design: "Every
parser has limits ... as named constants, each with its own error").

The byte, part and MIME-depth bounds are the extractor's (handlers/extract/limits.py), so
that a message the classifier reads is one the sanitiser accepts. The extractor skips what
is over a bound and says so; the sanitiser refuses the message, since it cannot release a
message it has only partly rebuilt.
"""

from __future__ import annotations

from core.errors import LimitExceeded
from handlers.extract.limits import MAX_MAIL_BYTES, MAX_MAIL_PARTS, MAX_MIME_DEPTH

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_MAIL_BYTES",
    "MAX_MAIL_PARTS",
    "MAX_MIME_DEPTH",
    "AttachmentsTooLarge",
    "MimeNestingTooDeep",
    "TooManyAttachments",
    "TooManyMailParts",
]

#: Most attachments cleaned in one message (each goes through its own handler).
MAX_ATTACHMENTS = 100
#: Sum of the attachments' decoded sizes, and again of their cleaned sizes: the rebuilt
#: message is held in memory, and a conversion may grow a file.
MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024


class TooManyMailParts(LimitExceeded):
    code = "too_many_mail_parts"
    default_message = "the message has more MIME parts than this handler accepts"


class MimeNestingTooDeep(LimitExceeded):
    code = "mime_nesting_too_deep"
    default_message = "the message's multipart structure is nested too deeply"


class TooManyAttachments(LimitExceeded):
    code = "too_many_attachments"
    default_message = "the message has more attachments than this handler accepts"


class AttachmentsTooLarge(LimitExceeded):
    code = "attachments_too_large"
    default_message = "the message's attachments are larger in total than this handler accepts"
