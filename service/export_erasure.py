"""Crypto-erasing the package of an export (service.exports): 読後廃棄 after the first
download or at the deadline, and the staging purge after a confirmed delivery (Saitama 第8
1(3)ケ), each with a signed erasure record (service.erasure)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.states import DOC_ERASED
from service.db import utcnow
from service.erasure import EraseRequest, RecordSigner, default_record_signer, erase_document
from service.exchange import record_of_export, update_exchange
from service.export_states import ERASED, READ_ONCE_REASON, audit_export, set_export_state
from service.models import Document, Export
from service.runtime import Runtime

log = logging.getLogger("sekisho.exports")


def erase_package(rt: Runtime, export_id: str, request: EraseRequest,
                  signer: RecordSigner, *, final_state: str = ERASED) -> str | None:
    """Crypto-erase the package (its own session: erase_document commits and checkpoints;
    the caller must hold no write transaction). Returns the erasure id."""
    with rt.sessions() as session:
        export = session.get_one(Export, export_id)
        package_id = export.package_document_id
    if package_id is None:
        return None
    erasure, _created = erase_document(rt, package_id, request, signer)
    with rt.sessions.begin() as session:
        export = session.get_one(Export, export_id, with_for_update=True)
        export.erasure_id = erasure.id
        purged = utcnow()
        set_export_state(session, export, final_state, erasure_id=erasure.id)
        record = record_of_export(session, export_id)
        if record is not None:
            update_exchange(record, staging_purged_at=purged)
        audit_export(session, rt, request.operator, "export.package_erased", export,
               erasure=erasure.id, reason=request.reason)
    return erasure.id


def system_erase_request(export: Export, reason: str) -> EraseRequest:
    return EraseRequest(export.requested_by_id, "system", (), reason=reason)


def erase_expired_exports(rt: Runtime,
                          signer: Callable[[], RecordSigner] | RecordSigner | None = None,
                          ) -> list[str]:
    """読後廃棄 sweep: packages downloaded once (an erase that failed right after the download)
    or past their deadline are erased now. Called lazily by the export endpoints."""
    now = utcnow()
    with rt.sessions() as session:
        due = list(session.execute(select(Export).where(
            Export.read_once.is_(True), Export.erasure_id.is_(None),
            Export.package_document_id.is_not(None),
            or_(Export.downloads >= 1, Export.expires_at < now))).scalars())
        requests = [(e.id, system_erase_request(e, f"{READ_ONCE_REASON} (期限)")) for e in due]
    erased: list[str] = []
    if not requests:
        return erased
    # The signer is loaded only when something is due (it unseals the signing key).
    record_signer = signer() if callable(signer) else signer or default_record_signer(rt)
    for export_id, request in requests:
        try:
            if erase_package(rt, export_id, request, record_signer):
                erased.append(export_id)
        except Exception:  # one failing export must not stop the sweep; retried next time
            log.exception("読後廃棄: erasing the package of export %s failed", export_id)
    return erased


def package_erased(session: Session, export: Export) -> bool:
    if export.package_document_id is None:
        return False
    doc = session.get(Document, export.package_document_id)
    return doc is None or doc.state == DOC_ERASED
