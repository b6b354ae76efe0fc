"""The export containers sekisho writes for recipients, and the ones it refuses (and why).

reference/crypto.md "Export containers, best first": CMS AuthEnvelopedData, PDF AES-256 (R6),
and the project's own sealed stream. Password ZIP is recognised so that a request for it gets
``algorithm_not_allowed`` with the reason instead of a generic "unknown format": people ask
for it by habit ("PPAP"), and the answer has to say what to use instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType

from core.errors import AlgorithmNotAllowed
from keys.export.errors import UnknownExportFormat


class ExportFormat(Enum):
    CMS = "cms"
    PDF = "pdf"
    SEALED = "sealed"


_INSTEAD = "use --format cms (recipient certificate), pdf (password) or sealed"

REFUSED_FORMATS: Mapping[str, str] = MappingProxyType({
    "zip": (
        "password ZIP is refused: ZipCrypto is broken and WinZip AES derives its key with "
        "PBKDF2-HMAC-SHA1 x1000 and authenticates with HMAC-SHA1 (SHA-1 is only on CRYPTREC's "
        "monitored list), and 'PPAP' (password ZIP with the password in a second mail) was "
        f"abolished by the Cabinet Office on 2020-11-26; {_INSTEAD}"
    ),
    "openpgp": (
        "OpenPGP as GnuPG writes it uses CFB with a SHA-1 MDC and PKCS#1 v1.5 key transport, "
        f"which are not on the CRYPTREC list; {_INSTEAD}"
    ),
    "age": f"age uses X25519 and scrypt, which are not on the CRYPTREC list; {_INSTEAD}",
})
_ALIASES = {"pgp": "openpgp", "gpg": "openpgp", "password-zip": "zip"}


def parse_export_format(name: str) -> ExportFormat:
    """The format named ``name``; refused containers raise AlgorithmNotAllowed with the reason."""
    key = name.strip().lower()
    refused = REFUSED_FORMATS.get(_ALIASES.get(key, key))
    if refused is not None:
        raise AlgorithmNotAllowed(refused)
    try:
        return ExportFormat(key)
    except ValueError:
        raise UnknownExportFormat(f"unknown export format {name!r}; {_INSTEAD}") from None
