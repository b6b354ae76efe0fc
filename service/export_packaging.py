"""Packaging an export once nothing stands in the way (service.exports): the package is built
and stored by service.export_package, the export records what was sent, its download limit
(複製禁止, 読後廃棄) and deadline, and moves to ``ready``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.orm import Session

from core.handling import ExportDecision
from service.db import utcnow
from service.exchange import record_of_export
from service.export_package import (
    Package,
    PackedFile,
    build_package,
    sendable_file,
    store_package,
)
from service.export_states import READY, audit_export, set_export_state
from service.models import Document, Export
from service.runtime import Runtime


def make_package(rt: Runtime, session: Session, export: Export, docs: Sequence[Document],
             decision: ExportDecision) -> str | None:
    files: list[PackedFile] = [sendable_file(session, rt, d) for d in docs]
    package: Package = build_package(rt, files, decision, export)
    stored = store_package(session, rt, export, package, decision.label.to_dict(),
                           export.requested_by_id)
    export.package_document_id, export.package_name = stored.id, package.name
    export.package_size, export.package_sha256 = stored.size, stored.sha256
    export.format, export.signature = package.format, package.signature
    export.read_once = decision.read_once
    if decision.single_provision or decision.read_once:
        export.max_downloads = 1  # 複製禁止: one provision; 読後廃棄: one reading
    if decision.read_once:
        hours = rt.profile(export.profile).document.handling.read_once_max_hours
        export.expires_at = utcnow() + timedelta(hours=hours)
    if decision.single_provision:
        for doc in docs:  # the engine denies a second export of a 複製禁止 document
            doc.provisions = (doc.provisions or 0) + 1
    sent = {"name": package.name, "size": stored.size, "sha256": stored.sha256,
            "format": package.format, "signed": package.signature is not None}
    record = record_of_export(session, export.id)
    if record is not None:
        record.content = [f.entry(d.label) for f, d in zip(files, docs, strict=True)]
    set_export_state(session, export, READY, sent=sent)
    audit_export(session, rt, "system", "export.packaged", export, package=sent,
           package_document=stored.id, read_once=export.read_once,
           expires_at=export.expires_at.isoformat() + "Z" if export.expires_at else None)
    return package.password
