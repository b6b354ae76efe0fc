"""The JSON of an export (service.exports) for the exports API."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.exchange import record_of_export
from service.export_erasure import package_erased
from service.export_states import partner_of
from service.models import Export


def _iso(value: Any) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def export_json(session: Session, export: Export) -> dict[str, Any]:
    record = record_of_export(session, export.id)
    return {
        "id": export.id, "state": export.state, "profile": export.profile,
        "method": export.method, "recipient": partner_of(export),
        "requested_by": export.requested_by.name, "document_ids": export.document_ids,
        "requested_format": export.requested_format, "decision": export.decision,
        "approval_ids": export.approval_ids or [],
        "package": None if export.package_document_id is None else {
            "name": export.package_name, "format": export.format, "size": export.package_size,
            "sha256": export.package_sha256, "signed": export.signature is not None,
            "downloads": export.downloads, "max_downloads": export.max_downloads,
            "read_once": export.read_once, "expires_at": _iso(export.expires_at),
            "erased": package_erased(session, export)},
        "erasure_id": export.erasure_id,
        "exchange_record_id": record.id if record is not None else None,
        "created_at": _iso(export.created_at), "updated_at": _iso(export.updated_at),
    }
