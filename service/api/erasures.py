"""Crypto-erase endpoints: erase a document's stored versions, read the signed record.

Records officers erase (the workflow issue puts approval before it); auditors and records
officers read records. Saitama 第1 3(17)(18) 暗号化消去; NIST SP 800-88 certificate fields.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request, url_for

from core.errors import InvalidRequest, NotFound
from core.roles import AUDITOR, RECORDS_OFFICER
from service.auth import current_user, require_roles
from service.erasure import EraseRequest, RecordSigner, default_record_signer, erase_document
from service.erasure_record import erasure_json
from service.models import Erasure
from service.runtime import db_session, runtime

bp = Blueprint("erasures", __name__)
# Tests and the lead's wiring put a RecordSigner here; otherwise default_record_signer.
SIGNER_EXTENSION = "sekisho.erasure_signer"
_TEXT_FIELDS = ("approver", "witness", "reason")
_MAX_TEXT = 2000


def erasure_signer() -> RecordSigner:
    signer: RecordSigner | None = current_app.extensions.get(SIGNER_EXTENSION)
    return signer if signer is not None else default_record_signer(runtime())


def _erase_body() -> dict[str, str | None]:
    body = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    unknown = set(body) - set(_TEXT_FIELDS)
    if unknown:
        raise InvalidRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
    out: dict[str, str | None] = {}
    for name in _TEXT_FIELDS:
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()
                                  or len(value) > _MAX_TEXT):
            raise InvalidRequest(f"{name} must be a non-empty string")
        out[name] = value.strip() if isinstance(value, str) else None
    return out


@bp.post("/v1/documents/<document_id>/erase")
@require_roles(RECORDS_OFFICER)
def erase(document_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    fields = _erase_body()
    erase_request = EraseRequest.by(current_user(), **fields)
    signer = erasure_signer()  # before anything is destroyed
    # The erase commits in its own transactions and checkpoints the WAL: the request's
    # session must not hold SQLite's write lock (or a WAL read snapshot) meanwhile.
    db_session().close()
    erasure, created = erase_document(runtime(), document_id, erase_request, signer)
    location = url_for("erasures.get_erasure", erasure_id=erasure.id)
    return _json(erasure), 201 if created else 200, {"Location": location}


@bp.get("/v1/erasures/<erasure_id>")
@require_roles(AUDITOR, RECORDS_OFFICER)
def get_erasure(erasure_id: str) -> dict[str, Any]:
    erasure = db_session().get(Erasure, erasure_id)
    if erasure is None:
        raise NotFound(f"no erasure {erasure_id}")
    return _json(erasure)


def _json(erasure: Erasure) -> dict[str, Any]:
    return erasure_json(erasure, alive=runtime().kek.versions())
