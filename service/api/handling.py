"""Per-document handling settings and derived documents (issue 6, item 2).

- ``PUT /v1/documents/{id}/handling``: who a 配布禁止 document may go to (HR-05), who may see a
  閲覧制限 / 所属長限り one (HR-07), the contract it belongs to (return and erasure at contract
  end: fire union 3, Saitama 第4 1(2)イ) — set by the owner; a legal hold by records staff
  (disposal is refused while it holds).
- ``POST /v1/documents/{id}/derivatives``: store a copy or an edit of a document; it inherits
  the source's confidentiality and restrictions (Saitama 第3 2(5), Chiba 6.2(1)イ) and is
  refused for a 複製禁止 source (Saitama 第1 2(2)イ(ア), HR-03).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from core.errors import Conflict, Forbidden, HandlingRestricted, InvalidRequest
from core.handling import enforcement_of
from core.labels import Label
from core.roles import RECORDS_OFFICER, SUBMITTERS
from service.api.documents import load_visible_document, store_upload
from service.audit import append_event
from service.auth import current_user, has_any_role, require_roles
from service.runtime import db_session, runtime

bp = Blueprint("handling", __name__, url_prefix="/v1/documents")
MAX_LISTED = 200
MAX_ENTRY_CHARS = 254  # an e-mail address


def _string_list(body: dict[str, Any], field: str) -> list[str] | None:
    if field not in body:
        return None
    value = body[field]
    if not isinstance(value, list) or len(value) > MAX_LISTED or not all(
            isinstance(v, str) and 0 < len(v.strip()) <= MAX_ENTRY_CHARS for v in value):
        raise InvalidRequest(f"{field}: a list of at most {MAX_LISTED} non-empty strings")
    # Addresses compare case-insensitively (core.handling.Recipient.address).
    return sorted({v.strip().lower() if "@" in v else v.strip() for v in value})


def handling_json(doc: Any) -> dict[str, Any]:
    return {"document_id": doc.id, "named_recipients": doc.named_recipients or [],
            "viewers": doc.viewers or [], "contract": doc.contract,
            "legal_hold": bool(doc.legal_hold), "provisions": doc.provisions or 0,
            "kind": doc.kind, "parent_id": doc.parent_id}


@bp.put("/<document_id>/handling")
@require_roles(*SUBMITTERS, RECORDS_OFFICER)
def set_handling(document_id: str) -> dict[str, Any]:
    user = current_user()
    doc = load_visible_document(document_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    owner_fields = {"named_recipients", "viewers", "contract"} & set(body)
    if owner_fields and doc.owner_id != user.id:
        raise Forbidden("only the document's owner sets its recipients, viewers and contract")
    if "legal_hold" in body and not has_any_role(user, {RECORDS_OFFICER}):
        raise Forbidden("only records staff place or lift a legal hold")
    changes: dict[str, Any] = {}
    for field in ("named_recipients", "viewers"):
        if (values := _string_list(body, field)) is not None:
            changes[field] = values
    if "contract" in body:
        contract = body["contract"]
        if contract is not None and (not isinstance(contract, str) or not contract.strip()
                                     or len(contract) > 100):
            raise InvalidRequest("contract: a non-empty string of at most 100 characters")
        changes["contract"] = contract.strip() if contract else None
    if "legal_hold" in body:
        if not isinstance(body["legal_hold"], bool):
            raise InvalidRequest("legal_hold: true or false")
        changes["legal_hold"] = body["legal_hold"]
    if not changes:
        raise InvalidRequest("nothing to change: give named_recipients, viewers, contract "
                             "or legal_hold")
    for field, value in changes.items():
        setattr(doc, field, value)
    session = db_session()
    append_event(session, runtime().audit_mac, actor=user.name, action="document.handling_set",
                 object_type="document", object_id=doc.id, details=changes)
    session.commit()
    return handling_json(doc)


@bp.get("/<document_id>/handling")
@require_roles(*SUBMITTERS, RECORDS_OFFICER)
def get_handling(document_id: str) -> dict[str, Any]:
    return handling_json(load_visible_document(document_id))


@bp.post("/<document_id>/derivatives")
@require_roles(*SUBMITTERS)
def create_derivative(document_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    user = current_user()
    parent = load_visible_document(document_id)
    source = parent.label or parent.floor
    if source is None:
        raise Conflict("the source is not classified yet: a copy must inherit its label "
                       "(Saitama 第3 2(5))", code="not_classified_yet")
    profile = runtime().profile(parent.profile)
    no_copy = enforcement_of(profile, Label.from_dict(source).restrictions).get(
        "single_provision")
    if no_copy:
        names = "・".join(profile.restriction_name(c) for c in sorted(no_copy))
        raise HandlingRestricted(f"{names}: no copy or derived document may be made "
                                 "(Saitama 第1 2(2)イ(ア))")
    return store_upload(user, parent.direction or "outbound", parent)
