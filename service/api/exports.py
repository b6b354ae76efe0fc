"""/v1/exports and /v1/exchange-records (issue 6, items 1, 2 and 4).

Views are thin: parse, call service.exports, respond. The erase steps (読後廃棄, staging
purge) commit in their own transactions and checkpoint the WAL, so the request's session is
closed before them (as in service.api.erasures).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request, url_for

from core.errors import ExportErased, InvalidRequest, NotFound
from core.roles import APPROVER, AUDITOR, RECORDS_OFFICER, SECURITY_ADMIN, SUBMITTERS
from service import exports
from service.api.erasures import erasure_signer
from service.auth import current_user, has_any_role, require_roles
from service.erasure import EraseRequest
from service.exchange import RecordFilter, exchange_json, records_csv, search_records
from service.models import Export
from service.runtime import db_session, runtime

log = logging.getLogger("sekisho.api")
bp = Blueprint("exports", __name__, url_prefix="/v1")
EXPORT_READERS = frozenset({APPROVER, RECORDS_OFFICER, AUDITOR, SECURITY_ADMIN})
RECORD_READERS = (RECORDS_OFFICER, AUDITOR)


@bp.errorhandler(ExportErased)
def _erased(error: ExportErased) -> tuple[Response, int]:
    # 410 with the erasure record's id, so the requester can fetch the signed proof.
    return jsonify({"error": error.code, "message": error.message,
                    "erasure_id": error.erasure_id}), error.http_status


def _sweep() -> None:
    """読後廃棄 deadlines are enforced lazily, before any export is read. The request's session
    is closed first: it must not hold SQLite's write lock while the sweep looks and erases."""
    db_session().close()
    exports.erase_expired_exports(runtime(), erasure_signer)


def _load(export_id: str, *, requester_only: bool = False) -> Export:
    user = current_user()
    export = db_session().get(Export, export_id)
    if export is None:
        raise NotFound(f"no export {export_id}")
    mine = export.requested_by_id == user.id
    if not mine and (requester_only or not has_any_role(user, EXPORT_READERS)):
        raise NotFound(f"no export {export_id}")
    return export


@bp.post("/exports")
@require_roles(*SUBMITTERS)
def create_export() -> tuple[dict[str, Any], int, dict[str, str]]:
    parsed = exports.parse_request(request.get_json(silent=True))
    session = db_session()
    export, password = exports.create_export(runtime(), session, current_user(), parsed)
    session.commit()
    body = exports.export_json(session, export)
    if password is not None:
        body["password"] = password  # shown once: never stored, logged or recorded
    return body, 201, {"Location": url_for("exports.get_export", export_id=export.id)}


@bp.post("/exports/<export_id>/package")
@require_roles(*SUBMITTERS)
def make_package(export_id: str) -> tuple[dict[str, Any], int]:
    """After every approval: the requester makes the package and sees its password once."""
    session = db_session()
    export = _load(export_id, requester_only=True)
    password = exports.package_approved(runtime(), session, export, current_user())
    session.commit()
    body = exports.export_json(session, export)
    if password is not None:
        body["password"] = password  # shown once, to the requester: never stored
    return body, 201


@bp.get("/exports/<export_id>")
@require_roles(*SUBMITTERS, *EXPORT_READERS)
def get_export(export_id: str) -> dict[str, Any]:
    _sweep()
    return exports.export_json(db_session(), _load(export_id))


@bp.get("/exports/<export_id>/package")
@require_roles(*SUBMITTERS)
def download(export_id: str) -> Response:
    _sweep()
    user = current_user()
    session = db_session()
    export = _load(export_id, requester_only=True)
    data = exports.take_download(runtime(), session, export, user)
    session.commit()
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''"
                                      f"{quote(export.package_name or export.id)}",
               "X-Sekisho-Export-Format": export.format or "",
               "X-Sekisho-Package-SHA256": export.package_sha256 or ""}
    mimetype = "application/octet-stream"
    read_once, export_id = export.read_once, export.id
    if read_once:
        # 読後廃棄: the bytes are verified and in memory; the key goes now. If the erase
        # fails, the sweep retries it (downloads >= 1 is due at once).
        session.close()
        try:
            erasure_id = exports.erase_package(
                runtime(), export_id, EraseRequest.by(user, reason=exports.READ_ONCE_REASON),
                erasure_signer())
            headers["X-Sekisho-Erasure-Id"] = erasure_id or ""
        except Exception:
            log.exception("読後廃棄: the package of export %s was not erased yet", export_id)
    return Response(data, mimetype=mimetype, headers=headers)


@bp.get("/exports/<export_id>/signature")
@require_roles(*SUBMITTERS, *EXPORT_READERS)
def signature(export_id: str) -> Response:
    export = _load(export_id)
    if export.signature is None:
        raise NotFound("this export's package is not signed")
    name = f"{export.package_name or export.id}.sig"
    return Response(export.signature, mimetype="application/pkcs7-signature",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''"
                                                    f"{quote(name)}"})


@bp.post("/exports/<export_id>/delivery-confirmation")
@require_roles(*SUBMITTERS)
def delivery_confirmation(export_id: str) -> dict[str, Any]:
    user = current_user()
    size, digest = exports.parse_confirmation(request.get_json(silent=True))
    session = db_session()
    export = _load(export_id, requester_only=True)
    matched = exports.record_confirmation(runtime(), session, export, user, size, digest)
    session.commit()
    if not matched:
        raise exports.mismatch_error(export)
    signer = erasure_signer()
    session.close()
    exports.confirm_delivery(runtime(), export_id, user, signer)
    session = db_session()
    return exports.export_json(session, session.get_one(Export, export_id))


def _when(name: str) -> datetime | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(f"{name}: an ISO 8601 date or date-time") from None
    # Stored times are naive UTC (service.db.utcnow).
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


@bp.get("/exchange-records")
@require_roles(*RECORD_READERS)
def exchange_records() -> Response | dict[str, Any]:
    flt = RecordFilter(partner=request.args.get("partner"), method=request.args.get("method"),
                       outcome=request.args.get("outcome"), source=request.args.get("source"),
                       start=_when("from"), end=_when("to"),
                       limit=request.args.get("limit", 1000, type=int) or 1000)
    records = search_records(db_session(), flt)
    fmt = request.args.get("format", "json")
    if fmt == "csv":
        return Response(records_csv(records), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition":
                                 "attachment; filename=exchange-records.csv"})
    if fmt != "json":
        raise InvalidRequest("format: json or csv")
    return {"records": [exchange_json(r) for r in records]}
