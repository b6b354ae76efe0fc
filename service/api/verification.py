"""GET /v1/verification-keys: the certificates that verify sekisho's signatures.

Recipients of an export, and auditors of erasure records, check signatures against these
(Saitama 第6 1(5): signatures on integrity-2 information; issue 5, item 5). Certificates are
public by nature and a recipient outside the organisation has no API token, so this route
needs none, like /v1/health. Every key version is listed, newest first, so signatures made
before a signing-key change still verify.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from keys.sign import verification_keys
from service.runtime import runtime

bp = Blueprint("verification", __name__)


@bp.get("/v1/verification-keys")
def list_verification_keys() -> dict[str, Any]:
    return {
        "keys": verification_keys(runtime().settings.kek_dir),
        "signature_formats": ["detached CMS SignedData (DER, .sig)", "PAdES (inside PDFs)"],
    }
