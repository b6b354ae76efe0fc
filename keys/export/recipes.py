"""Export one file for a recipient: the recipe behind ``sekisho seal`` and the export API.

Chooses the container (reference/crypto.md, "Export containers, best first"), generates a
strong password when the container needs one and none was given, and signs the package: a
PAdES signature inside PDFs and a detached CMS signature (``OUT.sig``) over every exported file
(issue 5, item 5; Saitama 第6 1(5) for integrity-2 information). The detached signature covers
the package as sent, so anyone can check its origin without being able to decrypt it, and it
leaks no hash of the plaintext.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import InvalidRequest
from keys.export.atomic import atomic_output
from keys.export.cms import CmsEncoding, export_cms_file
from keys.export.formats import ExportFormat
from keys.export.passwords import check_supplied_password, generate_password
from keys.export.pdf import export_pdf_file
from keys.export.recipients import Recipient
from keys.export.sealed_export import seal_file
from keys.primitives.digest import sha256_file
from keys.sign import Signer, sign_file

SIGNATURE_SUFFIX = ".sig"


@dataclass(frozen=True)
class ExportResult:
    format: ExportFormat
    output: Path
    algorithms: dict[str, Any]
    # Only a password sekisho generated; one the caller supplied is never echoed back.
    password: str | None = field(default=None, repr=False)
    recipient_fingerprint: str | None = None
    signature: Path | None = None
    signer_certificate_sha256: str | None = None
    pdf_signed: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": self.format.value,
            "output": str(self.output),
            "bytes": self.output.stat().st_size,
            "sha256": sha256_file(self.output).hex(),
            "algorithms": self.algorithms,
            "recipient_sha256": self.recipient_fingerprint,
            "signature": str(self.signature) if self.signature else None,
            "signer_certificate_sha256": self.signer_certificate_sha256,
        }
        if self.format is ExportFormat.PDF:
            out["pdf_signed"] = self.pdf_signed
        if self.password is not None:
            out["password"] = self.password
        return out


def _cms(source: Path, output: Path, recipient: Recipient | None, password: str | None,
         encoding: CmsEncoding) -> ExportResult:
    if recipient is None or password is not None:
        raise InvalidRequest("a CMS export needs --recipient-cert and takes no password")
    info = export_cms_file(source, output, recipient, encoding=encoding)
    algorithms = {"key_transport": info.key_transport,
                  "content_encryption": info.content_encryption, "encoding": info.encoding}
    return ExportResult(ExportFormat.CMS, output, algorithms,
                        recipient_fingerprint=info.recipient_fingerprint)


def _pdf(source: Path, output: Path, recipient: Recipient | None, password: str | None,
         signer: Signer | None) -> ExportResult:
    if recipient is not None:
        raise InvalidRequest("a PDF export is protected by a password, not a recipient key")
    info = export_pdf_file(source, output, password=password, signer=signer)
    algorithms = {"content_encryption": info.content_encryption,
                  "pdf_security_handler": f"standard R{info.revision}"}
    return ExportResult(ExportFormat.PDF, output, algorithms,
                        password=info.password if info.password_generated else None,
                        pdf_signed=info.signed)


def _sealed(source: Path, output: Path, recipient: Recipient | None,
            password: str | None) -> ExportResult:
    if recipient is not None and password is not None:
        raise InvalidRequest("seal for a recipient key or a password, not both")
    generated = None
    if recipient is None:
        generated = generate_password() if password is None else None
        password = generated or check_supplied_password(str(password))
    info = seal_file(source, output, recipient=recipient, password=password)
    algorithms: dict[str, Any] = {"key_establishment": info.method, "kdf": "HKDF-SHA-256",
                                  "content_encryption": info.content_algorithm}
    if info.iterations is not None:
        algorithms["password_iterations"] = info.iterations
    return ExportResult(ExportFormat.SEALED, output, algorithms, password=generated,
                        recipient_fingerprint=info.recipient_fingerprint)


def write_detached_signature(output: Path, signer: Signer) -> Path:
    """``OUT.sig``: a DER detached CMS signature over the exported file."""
    signature_path = output.with_name(output.name + SIGNATURE_SUFFIX)
    signature = sign_file(output, signer)
    with atomic_output(signature_path) as sink:
        sink.write(signature)
    return signature_path


def export_file(
    source: Path,
    output: Path,
    export_format: ExportFormat,
    *,
    recipient: Recipient | None = None,
    password: str | None = None,
    cms_encoding: CmsEncoding = "der",
    signer: Signer | None = None,
) -> ExportResult:
    """Seal ``source`` into ``output``; with ``signer``, sign it (and inside PDFs too)."""
    source, output = Path(source), Path(output)
    if export_format is ExportFormat.CMS:
        result = _cms(source, output, recipient, password, cms_encoding)
    elif export_format is ExportFormat.PDF:
        result = _pdf(source, output, recipient, password, signer)
    else:
        result = _sealed(source, output, recipient, password)
    if signer is None:
        return result
    algorithms = {**result.algorithms, "signature": signer.algorithm}
    return ExportResult(
        result.format, output, algorithms, result.password, result.recipient_fingerprint,
        write_detached_signature(output, signer), signer.certificate.sha256, result.pdf_signed,
    )
