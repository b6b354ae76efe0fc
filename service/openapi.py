"""The OpenAPI 3.1 document for /v1, and a readable HTML page made from it (no CDN: offline).

Paths, methods and the roles each endpoint requires are read from the Flask app itself, so the
document cannot drift from the code; summaries and shapes are written here.
"""

from __future__ import annotations

import html
from typing import Any

from flask import Flask

from service.api.disposals import OPENAPI_DOCS as DISPOSAL_DOCS
from service.api.mail import OPENAPI_DOCS as MAIL_DOCS
from service.api.mail_quarantine import OPENAPI_DOCS as MAIL_QUARANTINE_DOCS

ERROR = {"$ref": "#/components/schemas/Error"}
JSON_OBJ = {"type": "object"}

DOCS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/v1/health"): {"summary": "Liveness check (no token needed)."},
    ("GET", "/v1/openapi.json"): {"summary": "This document."},
    ("GET", "/v1/docs"): {"summary": "Human-readable API page.", "content": "text/html"},
    ("GET", "/v1/profiles"): {"summary": "Policy profiles with their native level and "
                              "restriction names."},
    ("GET", "/v1/me"): {"summary": "The calling user, roles and effective profile."},
    ("GET", "/v1/users"): {"summary": "List users."},
    ("POST", "/v1/users"): {
        "summary": "Create a user.", "status": 201,
        "body": {"type": "object", "required": ["name", "roles"], "properties": {
            "name": {"type": "string"}, "roles": {"type": "array", "items": {"type": "string"}},
            "profile": {"type": "string"}}}},
    ("POST", "/v1/users/{name}/tokens"): {
        "summary": "Issue an API token for a user; it is shown once, only its hash is kept.",
        "status": 201},
    ("GET", "/v1/verification-keys"): {
        "summary": "Certificates that verify sekisho's signatures (detached CMS .sig, PAdES in "
                   "PDFs, erasure records), newest first; no token needed."},
    ("POST", "/v1/documents/{document_id}/erase"): {
        "summary": "Crypto-erase a document (暗号化消去, Saitama 第1 3(17)(18)): destroy its "
                   "wrapped keys, verify the key id no longer resolves, decryption fails and "
                   "the key bytes are gone from the key store, delete the ciphertext, and "
                   "return the signed erasure record (NIST SP 800-88 fields). Repeating it "
                   "returns the same record."},
    ("GET", "/v1/erasures/{erasure_id}"): {
        "summary": "A signed erasure record with its signature and certificate."},
    ("GET", "/v1/documents"): {"summary": "List documents (your own; reviewers see all)."},
    ("POST", "/v1/documents"): {
        "summary": "Upload a document: multipart field `file`, or a raw body with the name in "
                   "`X-Sekisho-Filename`. Streamed into the store encrypted under a fresh "
                   "per-document key; processing (detect, classify, sanitise, label) is queued.",
        "status": 202, "upload": True,
        "query": {"direction": "outbound (default: leaving the organisation) or inbound "
                               "(arriving from outside); the profile's sanitisation mode "
                               "depends on it"},
        "errors": {"400": "malformed multipart / missing file / bad direction",
                   "413": "over the size limit"}},
    ("GET", "/v1/documents/{document_id}"): {
        "summary": "State, labels, findings, processing report, job progress and history."},
    ("GET", "/v1/documents/{document_id}/content"): {
        "summary": "Decrypted content: `variant` = labelled (the default), sanitised or "
                   "original. Without `variant` only a cleaned version is returned: 409 "
                   "`not_processed` until there is one (the original only when asked for). "
                   "Submitter and approvers only; never for a quarantined document. "
                   "The labelled file's name starts with the classification (【機密性2】) and "
                   "`X-Sekisho-Label` carries the label (the sidecar for images).",
        "content": "application/octet-stream",
        "errors": {"409": "not_processed (no cleaned version yet, or processing failed)"},
        "query": {"variant": "labelled | sanitised | original"}},
    ("POST", "/v1/documents/{document_id}/retry"): {
        "summary": "Re-run processing of a failed document from its last completed stage.",
        "status": 202},
    ("PUT", "/v1/documents/{document_id}/handling"): {
        "summary": "Set a document's handling: named recipients (配布禁止, HR-05), viewers "
                   "(閲覧制限 / 所属長限り, HR-07) and contract (owner); legal hold (records "
                   "staff).",
        "body": {"type": "object", "properties": {
            "named_recipients": {"type": "array", "items": {"type": "string"}},
            "viewers": {"type": "array", "items": {"type": "string"}},
            "contract": {"type": ["string", "null"]},
            "legal_hold": {"type": "boolean"}}}},
    ("GET", "/v1/documents/{document_id}/handling"): {
        "summary": "A document's handling settings, provisions counted and its source."},
    ("POST", "/v1/documents/{document_id}/derivatives"): {
        "summary": "Store a copy or an edit of a document (body as for uploads). It inherits "
                   "the source's confidentiality and restrictions (Saitama 第3 2(5)); refused "
                   "with 403 handling_restricted for a 複製禁止 source.",
        "status": 202},
    ("POST", "/v1/documents/{document_id}/classification"): {
        "summary": "Propose the document's label with a reason. It stands when it covers the "
                   "floor set by the content; below the floor (or a level the profile always "
                   "sends for approval, e.g. Saitama 機密性1) it waits for a different approver.",
        "status": 201,
        "body": {"type": "object", "required": ["label", "reason"], "properties": {
            "label": {"type": "object", "properties": {
                "confidentiality": {"type": "string", "enum": ["C3", "C2", "C1"]},
                "integrity": {"type": "string", "enum": ["I2", "I1"]},
                "availability": {"type": "string", "enum": ["A2", "A1"]},
                "restrictions": {"type": "array", "items": {"type": "string"}}}},
            "reason": {"type": "string"}}},
        "errors": {"409": "not classified yet", "422": "above the deployment's ceiling"}},
    ("GET", "/v1/documents/{document_id}/classification"): {
        "summary": "Effective label, floor and every proposal and decision (who, when, why)."},
    ("GET", "/v1/approvals"): {
        "summary": "Each approver's inbox: pending requests of any kind (classification, "
                   "export, exception, disposal) they may decide — never their own (兼務の禁止; "
                   "an approver's own request is escalated to another approver, Saitama 第2 "
                   "1(6)イ). Overdue requests are marked expired first. Requesters see their "
                   "own; `mine=1` lists the caller's own requests.",
        "query": {"state": "pending (default) | approved | rejected | withdrawn | expired | all",
                  "kind": "classification | export | exception | disposal",
                  "mine": "1: only the caller's own requests"}},
    ("GET", "/v1/approvals/{approval_id}"): {
        "summary": "One approval request (with expires_at, escalated, valid_until, decidable)."},
    ("POST", "/v1/approvals/{approval_id}/approve"): {
        "summary": "Grant a request. The requester can never approve their own (兼務の禁止); "
                   "an expired request is refused with 409 approval_expired.",
        "body": {"type": "object", "properties": {"reason": {"type": "string"}}},
        "errors": {"403": "separation_of_duties (the requester) or not an approver",
                   "409": "approval_expired, or already decided"}},
    ("POST", "/v1/approvals/{approval_id}/reject"): {
        "summary": "Reject a request (same rules as approve).",
        "body": {"type": "object", "properties": {"reason": {"type": "string"}}},
        "errors": {"403": "separation_of_duties (the requester) or not an approver",
                   "409": "approval_expired, or already decided"}},
    ("POST", "/v1/exceptions"): {
        "summary": "Request an exception (例外措置, Saitama 第2 3(2); Chiba 11.4) to one rule, "
                   "for the whole rule or one object; in force from a different approver's "
                   "grant for valid_days (at most the profile's exception_max_days: Saitama "
                   "365).",
        "status": 201,
        "body": {"type": "object", "required": ["rule", "reason", "valid_days"], "properties": {
            "rule": {"type": "string"}, "reason": {"type": "string"},
            "valid_days": {"type": "integer", "minimum": 1},
            "object_type": {"type": "string"}, "object_id": {"type": "string"}}},
        "errors": {"400": "invalid_request (valid_days above the profile's maximum, which the "
                          "message names) / reason_required"}},
    ("POST", "/v1/exports"): {
        "summary": "Ask to export documents to a recipient. The documents' profile decides "
                   "(deny / approval_required / encryption_required / allow) with reasons and "
                   "requirement ids; one approval request per pending rule; the package "
                   "(labelled, signed for integrity 2, encrypted cms|pdf|sealed) is made when "
                   "nothing is pending. A generated password is in this response only.",
        "status": 201,
        "body": {"type": "object", "required": ["document_ids", "recipient", "method"],
                 "properties": {
                     "document_ids": {"type": "array", "items": {"type": "string"}},
                     "recipient": {"type": "object", "required": ["name"], "properties": {
                         "name": {"type": "string"}, "organisation": {"type": "string"},
                         "email": {"type": "string"}, "certificate_pem": {"type": "string"}}},
                     "method": {"type": "string",
                                "enum": ["email", "media", "download", "contractor"]},
                     "format": {"type": "string", "enum": ["cms", "pdf", "sealed"]}}},
        "errors": {"400": "the field named (recipient.name, method, format, document_ids)",
                   "404": "an unknown or invisible document, named",
                   "409": "not_processed (a document not processed and labelled yet)"}},
    ("POST", "/v1/exports/{export_id}/package"): {
        "summary": "After every approval was granted: the requester makes the package (the "
                   "decision is re-checked) and sees a generated password once.",
        "status": 201},
    ("GET", "/v1/exports/{export_id}"): {
        "summary": "An export: state (denied, awaiting_approval, rejected, ready, delivered, "
                   "confirmed, erased), decision, approvals, package, erasure record id."},
    ("GET", "/v1/exports/{export_id}/package"): {
        "summary": "Download the package (requester only; counted). 複製禁止 and 読後廃棄 allow "
                   "one download; after a 読後廃棄 download the package is crypto-erased.",
        "content": "application/octet-stream",
        "errors": {"409": "download_limit_reached / export_not_ready",
                   "410": "export_erased, with erasure_id"}},
    ("GET", "/v1/exports/{export_id}/signature"): {
        "summary": "The detached CMS signature over the package (integrity 2).",
        "content": "application/pkcs7-signature"},
    ("POST", "/v1/exports/{export_id}/delivery-confirmation"): {
        "summary": "Record the size and SHA-256 the recipient received (Ishikawa 第12(4)); on "
                   "a match the staging package is crypto-erased (Saitama 第8 1(3)ケ).",
        "body": {"type": "object", "required": ["size", "sha256"], "properties": {
            "size": {"type": "integer"}, "sha256": {"type": "string"}}},
        "errors": {"409": "delivery_mismatch (recorded; the package is kept)"}},
    ("GET", "/v1/exchange-records"): {
        "summary": "Exchange records (Ishikawa 第12(6)): partner, time, method, content "
                   "(names, hashes, labels), approvers, outcome, delivery. JSON or CSV "
                   "(UTF-8 with BOM).",
        "query": {"partner": "substring of name, organisation or e-mail",
                  "method": "email | media | download | contractor", "outcome": "state",
                  "source": "export | mail_outbound | mail_inbound",
                  "from": "ISO 8601", "to": "ISO 8601", "format": "json | csv",
                  "limit": "max 1000"}},
    ("GET", "/v1/audit/events"): {
        "summary": "Audit events in order (paged with `after`).",
        "query": {"after": "sequence number", "limit": "max 500", "object_id": "filter"}},
    ("GET", "/v1/audit/verify"): {"summary": "Verify the hash chain and HMACs of the log."},
}
DOCS.update(DISPOSAL_DOCS)  # issue 6 item 5: service/api/disposals.py
DOCS.update(MAIL_QUARANTINE_DOCS)  # issue 7 item 4: service/api/mail_quarantine.py
DOCS.update(MAIL_DOCS)  # issue 7 item 1: service/api/mail.py


def _path_of(rule: str) -> str:
    return rule.replace("<", "{").replace(">", "}")


def _operation(method: str, path: str, doc: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    status = str(doc.get("status", 200))
    content = doc.get("content", "application/json")
    schema = JSON_OBJ if content == "application/json" else {"type": "string", "format": "binary"}
    op: dict[str, Any] = {
        "summary": doc["summary"],
        "responses": {status: {"description": "OK", "content": {content: {"schema": schema}}}},
    }
    if roles:
        op["security"] = [{"bearer": []}]
        op["x-required-roles"] = roles
        op["responses"]["401"] = {"description": "no valid token",
                                  "content": {"application/json": {"schema": ERROR}}}
        op["responses"]["403"] = {"description": "wrong role",
                                  "content": {"application/json": {"schema": ERROR}}}
    for code, text in doc.get("errors", {}).items():
        op["responses"][code] = {"description": text,
                                 "content": {"application/json": {"schema": ERROR}}}
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
              for n in _path_params(path)]
    params += [{"name": n, "in": "query", "description": d, "schema": {"type": "string"}}
               for n, d in doc.get("query", {}).items()]
    if params:
        op["parameters"] = params
    if "body" in doc:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": doc["body"]}}}
    if raw_type := doc.get("raw_body"):  # a raw body of one type (message/rfc822)
        op["requestBody"] = {"required": True, "content": {
            raw_type: {"schema": {"type": "string", "format": "binary"}}}}
    if doc.get("upload"):
        op["requestBody"] = {"required": True, "content": {
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                "file": {"type": "string", "format": "binary"}}}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
    return op


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def build_spec(app: Flask) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/v1/"):
            continue
        path = _path_of(rule.rule)
        view = app.view_functions[rule.endpoint]
        roles = sorted(getattr(view, "required_roles", ()))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            doc = DOCS.get((method, path)) or {"summary": "(undocumented)"}
            paths.setdefault(path, {})[method.lower()] = _operation(method, path, doc, roles)
    return {
        "openapi": "3.1.0",
        "info": {"title": "sekisho API", "version": "1",
                 "description": "関所 — classification and handling control for documents."},
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error", "message"],
                                  "properties": {"error": {"type": "string"},
                                                 "message": {"type": "string"}}}},
        },
    }


def render_html(spec: dict[str, Any]) -> str:
    rows = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            roles = ", ".join(op.get("x-required-roles", [])) or "none"
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}"
                f"</code></td><td>{html.escape(op['summary'])}</td><td>{html.escape(roles)}</td>"
                f"<td>{', '.join(sorted(op['responses']))}</td></tr>")
    return (
        "<!doctype html><html lang='ja'><meta charset='utf-8'><title>sekisho API</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{border-bottom:1px solid #ccc;"
        "padding:.4em;text-align:left;vertical-align:top}</style>"
        "<h1>sekisho API (v1)</h1><p>Authenticate with <code>Authorization: Bearer TOKEN"
        "</code>. Errors are JSON: <code>{\"error\": code, \"message\": text}</code>. "
        "Machine-readable: <a href='/v1/openapi.json'>/v1/openapi.json</a>.</p>"
        "<table><tr><th>Method</th><th>Path</th><th>What it does</th><th>Roles</th>"
        f"<th>Responses</th></tr>{''.join(rows)}</table></html>"
    )
