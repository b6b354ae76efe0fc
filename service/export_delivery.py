"""Downloading the package of an export and confirming its delivery (service.exports): a
counted download (複製禁止, 読後廃棄), the recipient's size and hash compared with what was
sent (Ishikawa 第12(4)), then the staging copy purged (Saitama 第8 1(3)ケ)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from core.errors import Conflict, DeliveryMismatch, ExportErased, InvalidRequest
from service.db import utcnow
from service.erasure import EraseRequest, RecordSigner, default_record_signer
from service.exchange import record_of_export, update_exchange
from service.export_erasure import erase_package
from service.export_package import PACKAGE_BLOB
from service.export_states import (
    CONFIRMED,
    DELIVERED,
    DOWNLOADABLE,
    ERASED,
    READ_ONCE_REASON,
    audit_export,
    set_export_state,
)
from service.models import Export, User
from service.runtime import Runtime
from service.versions import read_version

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def check_downloadable(export: Export) -> None:
    if export.erasure_id is not None or export.state == ERASED:
        raise ExportErased(f"the package was crypto-erased ({READ_ONCE_REASON} or staging "
                           f"purge); erasure record {export.erasure_id}",
                           erasure_id=export.erasure_id)
    if export.state not in DOWNLOADABLE or export.package_document_id is None:
        raise Conflict(f"the export is {export.state}: there is no package to download",
                       code="export_not_ready")


def take_download(rt: Runtime, session: Session, export: Export, user: User) -> bytes:
    """Count one download (compare-and-set: two concurrent readers of a one-time package
    cannot both win) and return the verified package bytes; the caller commits."""
    check_downloadable(export)
    assert export.package_document_id is not None
    limit = (Export.downloads < export.max_downloads if export.max_downloads is not None
             else Export.downloads >= 0)
    counted = session.execute(update(Export).where(Export.id == export.id, limit).values(
        downloads=Export.downloads + 1, state=DELIVERED).execution_options(
        synchronize_session=False))
    if getattr(counted, "rowcount", 0) != 1:
        raise Conflict("the package may be downloaded only once (複製禁止 / 読後廃棄)",
                       code="download_limit_reached")
    data = read_version(session, rt.blobs, export.package_document_id, PACKAGE_BLOB)
    session.refresh(export)
    set_export_state(session, export, DELIVERED, downloads=export.downloads,
               last_download_at=utcnow().isoformat() + "Z")
    audit_export(session, rt, user.name, "export.downloaded", export, downloads=export.downloads)
    return data


def parse_confirmation(body: Any) -> tuple[int, str]:
    if not isinstance(body, dict):
        raise InvalidRequest('a JSON body {"size": ..., "sha256": ...} is required')
    size, digest = body.get("size"), body.get("sha256")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InvalidRequest("size: the number of bytes received")
    if not isinstance(digest, str) or not SHA256_HEX.match(digest.strip().lower()):
        raise InvalidRequest("sha256: 64 hexadecimal characters")
    return size, digest.strip().lower()


def record_confirmation(rt: Runtime, session: Session, export: Export, user: User,
                        size: int, digest: str) -> bool:
    """Ishikawa 第12(4): compare with what was sent and record the result (caller commits).
    Returns whether it matched."""
    if export.package_sha256 is None or export.state not in (*DOWNLOADABLE, ERASED):
        raise Conflict(f"the export is {export.state}: nothing was sent to confirm",
                       code="export_not_ready")
    matched = size == export.package_size and digest == export.package_sha256
    confirmation = {"size": size, "sha256": digest, "match": matched,
                    "confirmed_by": user.name, "at": utcnow().isoformat() + "Z"}
    record = record_of_export(session, export.id)
    if record is not None:
        update_exchange(record, delivery={"confirmation": confirmation},
                        outcome=CONFIRMED if matched else "delivery_mismatch")
    audit_export(session, rt, user.name, "export.delivery_confirmed" if matched
           else "export.delivery_mismatch", export, confirmation=confirmation)
    return matched


def confirm_delivery(rt: Runtime, export_id: str, user: User, signer: RecordSigner | None,
                     ) -> None:
    """After a matching confirmation: purge the staging copy (Saitama 第8 1(3)ケ)."""
    with rt.sessions() as session:
        export = session.get_one(Export, export_id)
        already = export.erasure_id is not None
    if already:
        with rt.sessions.begin() as session:
            export = session.get_one(Export, export_id)
            export.state = CONFIRMED
            record = record_of_export(session, export_id)
            if record is not None:
                update_exchange(record, outcome=CONFIRMED)
        return
    request = EraseRequest.by(user, reason="送達確認後のステージング消去 (Saitama 第8 1(3)ケ)")
    erase_package(rt, export_id, request, signer or default_record_signer(rt),
                  final_state=CONFIRMED)


def mismatch_error(export: Export) -> DeliveryMismatch:
    return DeliveryMismatch(f"the recipient's size or SHA-256 differs from the package sent "
                            f"({export.package_size} bytes, {export.package_sha256}); the "
                            "package is kept for investigation")
