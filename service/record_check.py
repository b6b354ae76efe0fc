"""``sekisho verify ERASURE.json``: check a signed erasure record as GET /v1/erasures/{id}
returns it (issue 5, item 6: "sekisho verify checks its signature").

The JSON carries the signed bytes (``record_base64``), a readable copy (``record``), the
detached CMS signature and the signer's certificate. Only the signature over the signed bytes
counts, and only against certificates the verifier trusts (this service's published keys or
``--cert``): the certificate inside the JSON is the claim being checked, never the trust
anchor. The readable copy and ``record_sha256`` must agree with the signed bytes, so a record
edited for display cannot pass as verified.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from keys.sign import SignatureInvalid, verify_detached

MAX_RECORD_FILE_BYTES = 16 * 1024 * 1024
RECORD_FIELDS = ("record_base64", "signature")


def load_signed_record(path: Path) -> dict[str, Any] | None:
    """The parsed JSON when ``path`` holds a signed record document, else None."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(MAX_RECORD_FILE_BYTES + 1)
    except OSError:
        return None
    if len(head) > MAX_RECORD_FILE_BYTES or not head.lstrip().startswith(b"{"):
        return None
    try:
        document = json.loads(head)
    except ValueError:
        return None
    if isinstance(document, dict) and all(isinstance(document.get(f), str) for f in RECORD_FIELDS):
        return document
    return None


def _decode(document: dict[str, Any], field: str) -> bytes:
    try:
        return base64.b64decode(document[field], validate=True)
    except (binascii.Error, ValueError):
        raise SignatureInvalid(f"the record's {field} is not valid base64") from None


def verify_signed_record(document: dict[str, Any], certs: Iterable[bytes | str]) -> dict[str, Any]:
    """Raise SignatureInvalid with the reason, or return what was verified."""
    record = _decode(document, "record_base64")
    verified = verify_detached(record, _decode(document, "signature"), certs)
    claimed = document.get("record_sha256")
    if claimed is not None and claimed != hashlib.sha256(record).hexdigest():
        raise SignatureInvalid("record_sha256 does not match the signed record")
    signed = json.loads(record)
    if document.get("record") is not None and document["record"] != signed:
        raise SignatureInvalid("the readable 'record' differs from the signed bytes")
    if signed.get("signer_certificate_sha256") not in (None, verified.certificate_sha256):
        raise SignatureInvalid("the record names another signing certificate")
    return {"kind": signed.get("type", "signed record"), "erasure_id": signed.get("erasure_id"),
            "method": (signed.get("sanitization") or {}).get("method"),
            "completed_at": (signed.get("time") or {}).get("completed_at"),
            **verified.to_dict()}
