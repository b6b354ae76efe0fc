"""Exports for recipients outside the organisation (issue 5, item 4; reference/crypto.md).

- ``cms``: CMS AuthEnvelopedData, RSA-OAEP-SHA-256 + AES-256-GCM (DER, PEM or S/MIME);
  opened by ``openssl cms -decrypt`` and S/MIME mail clients.
- ``pdf``: PDF AES-256 (R6) with a generated password returned separately.
- ``sealed``: the sealed stream for a recipient key (RSA-OAEP or ECDH P-256 + HKDF) or a
  password (PBKDF2-HMAC-SHA-256, 600,000 iterations); opened by ``sekisho open``, which
  opens CMS exports too (keys.export.opening).
- password ZIP, OpenPGP and age are recognised and refused with the reason.
"""

from __future__ import annotations

from keys.export.cms import ENCODINGS as CMS_ENCODINGS
from keys.export.cms import CmsEncoding, export_cms_file, write_cms
from keys.export.errors import UnknownExportFormat, UnsupportedFormatVersion, WeakPassword
from keys.export.formats import REFUSED_FORMATS, ExportFormat, parse_export_format
from keys.export.opening import open_export
from keys.export.passwords import generate_password, read_password_file
from keys.export.pdf import export_pdf_file
from keys.export.recipes import ExportResult, export_file, write_detached_signature
from keys.export.recipients import Recipient, load_private_key, load_recipient, parse_recipient
from keys.export.sealed_export import iter_export, open_file, open_stream, seal_file, seal_stream

__all__ = [
    "CMS_ENCODINGS",
    "REFUSED_FORMATS",
    "CmsEncoding",
    "ExportFormat",
    "ExportResult",
    "Recipient",
    "UnknownExportFormat",
    "UnsupportedFormatVersion",
    "WeakPassword",
    "export_cms_file",
    "export_file",
    "export_pdf_file",
    "generate_password",
    "iter_export",
    "load_private_key",
    "load_recipient",
    "open_export",
    "open_file",
    "open_stream",
    "parse_export_format",
    "parse_recipient",
    "read_password_file",
    "seal_file",
    "seal_stream",
    "write_cms",
    "write_detached_signature",
]
