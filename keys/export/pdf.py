"""PDF exports: AES-256 encryption (ISO 32000-2 revision 6) with a strong generated password.

Second choice in reference/crypto.md: any PDF reader opens it with the password, and qpdf and
poppler read it. PDF R6 forces AES-256-CBC for content and has no integrity of its own, so the
export is signed (PAdES, keys.sign.pdf_sign) AFTER encryption, as an incremental update that
keeps the encryption: signing first would be undone by re-writing the file to encrypt it. The
password is returned to the caller for another channel and never written into the package
(the file keeps only R6's salted SHA-2 verifiers); the owner password is random and discarded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pikepdf

from core.errors import CorruptFile, EncryptedContent
from keys.allowlist import require_allowed
from keys.export.atomic import atomic_output
from keys.export.passwords import check_supplied_password, generate_password
from keys.sign import Signer, sign_pdf

# AES-256-CBC is allowed only inside a format that forces it, with a signature beside it
# (reference/crypto.md, allow-list table); R6 encrypts strings and streams with it.
CONTENT_ALGORITHM = "AES-256-CBC"
CBC_IV_BYTES = 16
CONTAINER = "PDF-R6"  # the allow-list admits CBC only within a format that forces it
REVISION: Literal[6] = 6


@dataclass(frozen=True)
class PdfExportInfo:
    password: str
    password_generated: bool
    signed: bool
    plaintext_bytes: int
    revision: int = REVISION
    content_encryption: str = CONTENT_ALGORITHM

    def __repr__(self) -> str:  # the password must not reach a log through a repr
        return (f"PdfExportInfo(revision={self.revision}, signed={self.signed}, "
                f"password_generated={self.password_generated})")


def require_pdf_encryption_allowed() -> None:
    require_allowed(CONTENT_ALGORITHM, key_bits=256, nonce_len=CBC_IV_BYTES, within=CONTAINER,
                    new_work=True)


def encrypt_pdf(source: Path | io.BytesIO, *, user_password: str, owner_password: str) -> bytes:
    """The PDF re-written with R6 AES-256 encryption; an encrypted input is refused."""
    require_pdf_encryption_allowed()
    try:
        with pikepdf.open(source) as pdf:
            out = io.BytesIO()
            pdf.save(out, encryption=pikepdf.Encryption(
                owner=owner_password, user=user_password, R=REVISION, aes=True, metadata=True))
    except pikepdf.PasswordError:
        raise EncryptedContent("the PDF is already encrypted; export the original") from None
    except pikepdf.PdfError:
        raise CorruptFile("the file is not a PDF that can be encrypted") from None
    return out.getvalue()


def export_pdf_file(
    source: Path, output: Path, *, password: str | None = None, signer: Signer | None = None,
) -> PdfExportInfo:
    """Encrypt (and sign, when ``signer`` is given) ``source`` into ``output``."""
    generated = password is None
    user_password = generate_password() if password is None else check_supplied_password(password)
    owner_password = generate_password()
    encrypted = encrypt_pdf(Path(source), user_password=user_password,
                            owner_password=owner_password)
    if signer is not None:
        encrypted = sign_pdf(encrypted, signer, password=owner_password)
    with atomic_output(output) as sink:
        sink.write(encrypted)
    return PdfExportInfo(user_password, generated, signer is not None,
                         Path(source).stat().st_size)
