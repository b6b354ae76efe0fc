"""The package an export sends (issue 6, item 1): the sanitised and labelled versions of its
documents, encrypted for the recipient when the decision asks (Saitama 第8 1(3)キ, Chiba
HR-12) and signed when integrity 2 (Saitama 第6 1(5), Chiba HR-17).

The package is stored as a Document of kind ``export_package`` with one encrypted Blob, so
purging the staging copy (Saitama 第8 1(3)ケ) and 読後廃棄 are service.erasure.erase_document
on it. A generated password is returned to the caller once and never stored.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidRequest
from core.handling import ExportDecision
from core.states import DOC_PROCESSED
from keys.export import ExportFormat, Recipient, export_file, parse_recipient
from keys.sign import Signer, load_or_create_signer, sign_detached
from service.api.documents import download_name
from service.models import Document, Export
from service.pipeline import LABELLED, SANITISED
from service.runtime import Runtime
from service.versions import find_blob, read_version, record_blob

PACKAGE_BLOB = "package"
PACKAGE_KIND = "export_package"
PDF = "application/pdf"
CONTENT_TYPES = {ExportFormat.CMS: "application/pkcs7-mime", ExportFormat.PDF: PDF,
                 ExportFormat.SEALED: "application/octet-stream"}
SUFFIXES = {ExportFormat.CMS: ".p7m", ExportFormat.PDF: ".pdf", ExportFormat.SEALED: ".sealed"}


@dataclass(frozen=True)
class PackedFile:
    """One document's sendable version: the labelled one (label stamped, Chiba 6.2(2)),
    else the sanitised one. Never the original: only sanitised content leaves."""

    document_id: str
    name: str
    data: bytes = field(repr=False)
    content_type: str

    def entry(self, label: dict[str, object] | None) -> dict[str, object]:
        return {"name": self.name, "sha256": hashlib.sha256(self.data).hexdigest(),
                "size": len(self.data), "label": label}


@dataclass(frozen=True)
class Package:
    name: str
    data: bytes = field(repr=False)
    content_type: str
    format: str  # "cms" | "pdf" | "sealed" | "plain" | "zip"
    signature: bytes | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)  # shown once, never stored


def sendable_file(session: Session, rt: Runtime, doc: Document) -> PackedFile:
    for kind in (LABELLED, SANITISED):
        blob = find_blob(session, doc.id, kind)
        if blob is not None:
            data = read_version(session, rt.blobs, doc.id, kind)
            name = download_name(doc, blob) or f"{doc.id}"
            return PackedFile(doc.id, name, data, blob.content_type or "application/octet-stream")
    raise Conflict(f"document {doc.id} has no sanitised version to send",
                   code="not_processed")


def bundle_files(files: Sequence[PackedFile], zip_name: str) -> PackedFile:
    """Several files travel as one ZIP inside the encryption (the ZIP is not the protection:
    no ZIP password, no PPAP). Exports and the mail gateway alike."""
    if len(files) == 1:
        return files[0]
    out, seen = io.BytesIO(), set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, item in enumerate(files, 1):
            name = item.name if item.name not in seen else f"{n}-{item.name}"
            seen.add(name)
            archive.writestr(name, item.data)
    return PackedFile("", zip_name, out.getvalue(), "application/zip")


def choose_format(requested: str | None, content: PackedFile, certificate_pem: str | None,
                  ) -> ExportFormat:
    """CMS when the recipient gave a certificate, PDF AES-256 for a single PDF, else sealed
    (reference/crypto.md, "Export containers, best first"); a requested format is honoured
    when it fits."""
    if requested == "cms" and not certificate_pem:
        raise InvalidRequest("format: cms needs recipient.certificate_pem")
    if requested == "pdf" and content.content_type != PDF:
        raise InvalidRequest("format: pdf needs a single PDF document")
    if requested:
        return ExportFormat(requested)
    if certificate_pem:
        return ExportFormat.CMS
    return ExportFormat.PDF if content.content_type == PDF else ExportFormat.SEALED


@contextmanager
def private_tmp(rt: Runtime) -> Iterator[Path]:
    """A 0700 directory in the data directory, removed in ``finally`` (no plaintext at rest
    beyond the call: design, security invariants)."""
    base = rt.settings.data_dir / "tmp"
    base.mkdir(mode=0o700, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="export-", dir=base))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def encrypt_content(rt: Runtime, content: PackedFile, fmt: ExportFormat,
                    recipient: Recipient | None, signer: Signer | None) -> Package:
    """``content`` in the container ``fmt`` (for ``recipient``'s key, or with a generated
    password), signed by ``signer`` when given; plaintext only in a private tmp dir."""
    with private_tmp(rt) as work:
        source, output = work / "content", work / "package"
        source.write_bytes(content.data)
        result = export_file(source, output, fmt, recipient=recipient, signer=signer)
        data = output.read_bytes()
        signature = result.signature.read_bytes() if result.signature else None
    stem = content.name.rsplit(".", 1)[0] if fmt is not ExportFormat.PDF else content.name
    name = stem if stem.endswith(SUFFIXES[fmt]) else stem + SUFFIXES[fmt]
    return Package(name, data, CONTENT_TYPES[fmt], fmt.value, signature, result.password)


def build_package(rt: Runtime, files: Sequence[PackedFile], decision: ExportDecision,
                  export: Export) -> Package:
    content = bundle_files(files, f"export-{export.id[:8]}.zip")
    signer = load_or_create_signer(rt.settings.kek_dir, rt.kek) if decision.sign else None
    certificate = (export.recipient or {}).get("certificate_pem")
    # A requested container is honoured even where the policy would allow plain: asking for
    # encryption is never refused.
    if decision.encrypt or export.requested_format:
        fmt = choose_format(export.requested_format, content, certificate)
        recipient = (parse_recipient(certificate.encode())
                     if certificate and fmt is not ExportFormat.PDF else None)
        return encrypt_content(rt, content, fmt, recipient, signer)
    plain = "zip" if content.content_type == "application/zip" and len(files) > 1 else "plain"
    signature = sign_detached(content.data, signer) if signer is not None else None
    return Package(content.name, content.data, content.content_type, plain, signature)


def store_package(session: Session, rt: Runtime, export: Export, package: Package,
                  label: dict[str, object], owner_id: int) -> Document:
    """The staging copy, encrypted under its own DEK like every stored object."""
    digest = hashlib.sha256(package.data).hexdigest()
    doc = Document(id=str(uuid.uuid4()), owner_id=owner_id, filename=package.name,
                   declared_type=package.content_type, detected_type=package.content_type,
                   size=len(package.data), sha256=digest, profile=export.profile,
                   state=DOC_PROCESSED, label=label, findings=[], report={},
                   kind=PACKAGE_KIND, parent_id=None, direction="outbound")
    session.add(doc)
    session.flush()
    record_blob(session, doc.id, PACKAGE_BLOB, rt.blobs.put_bytes(package.data),
                package.content_type)
    return doc
