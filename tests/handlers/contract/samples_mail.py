"""Contract samples: e-mail (message/rfc822). The samples have no attachments, so the
default CleanOptions (no member cleaner) suffice; attachments are covered in
tests/handlers/mail/."""

from __future__ import annotations

from handlers.mail import MailHandler
from tests.fixtures.maildirty import SECRETS, make_hostile_eml, make_truncated_eml
from tests.fixtures.mailgen import make_eml
from tests.handlers.contract import MARKER, Sample

SAMPLES = {
    "message/rfc822": Sample(
        handler=MailHandler,
        clean=lambda: make_eml(f"{MARKER} 本文"),
        dirty=lambda: make_hostile_eml(plain=f"{MARKER} 本文\n"),
        broken=make_truncated_eml(),
        labels=True,
        secrets=(SECRETS["received"], SECRETS["mailer"], SECRETS["bcc"], SECRETS["script"],
                 SECRETS["custom"], SECRETS["originating_ip"]),
    ),
}
