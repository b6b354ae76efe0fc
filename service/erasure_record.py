"""The crypto-erase record: NIST SP 800-88 Rev.1 Appendix G certificate fields as one JSON object.

Appendix G asks for: the person performing and the person validating (witness), the media
(here: the stored objects, with ids and plaintext SHA-256), its classification and whether it
was backed up, the method type (Purge) and method (cryptographic erase) with tool and version,
the verification method and result, the post-sanitisation classification and destination, and
the time. Saitama 第1 3(17)(18) adds what 暗号化消去 rests on: the algorithms and key ids.

The record is serialised canonically (sorted keys, no spaces, UTF-8) and those exact bytes are
signed and hashed into the audit chain; ``erasure_json`` returns them in base64 beside the
parsed object so that a verifier never has to re-serialise.
"""

from __future__ import annotations

import base64
import functools
import importlib.metadata
import json
import ssl
from collections.abc import Collection, Iterable
from datetime import datetime
from hashlib import sha256
from typing import Any

from core.states import DOC_ERASED
from keys.erase import (
    ERASE_METHOD,
    SP800_88_METHOD_TYPE,
    ErasureVerification,
    backup_coverage_note,
)
from service.db import utcnow
from service.models import Document, Erasure
from service.runtime import Runtime

RECORD_TYPE = "sekisho.crypto-erase-record"
RECORD_FORMAT_VERSION = 1
SIGNATURE_FORMAT = "detached CMS SignedData (DER) over the bytes of record_base64"


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


@functools.lru_cache(maxsize=8)
def certificate_sha256(certificate_pem: str) -> str:
    """SHA-256 of the certificate's DER: the fingerprint openssl and browsers show."""
    return sha256(ssl.PEM_cert_to_DER_cert(certificate_pem)).hexdigest()


@functools.lru_cache(maxsize=1)
def software_version() -> str:
    try:
        return importlib.metadata.version("sekisho")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="microseconds") + "Z" if value is not None else None


def build_record(rt: Runtime, erasure: Erasure, doc: Document,
                 verification: ErasureVerification, *, completed_by: str,
                 certificate_pem: str) -> dict[str, Any]:
    details = erasure.details
    asked = details["request"]
    objects = [{**o, "ciphertext_deleted": not (rt.blobs.root / o["ciphertext"]).exists()}
               for o in details["objects"]]
    key_ids = [o["key_id"] for o in objects]
    versions = [(o["wrapped_dek"] or {}).get("kek_version") for o in objects]
    return {
        "type": RECORD_TYPE, "format_version": RECORD_FORMAT_VERSION, "erasure_id": erasure.id,
        "basis": ["Saitama 第1 3(17)(18) 暗号化消去",
                  "NIST SP 800-88 Rev.1 Appendix G certificate of sanitization"],
        "person_performing": {"name": asked["operator"], "roles": asked["operator_roles"]},
        "operator": asked["operator"], "completed_by": completed_by,
        "approver": asked["approver"], "reason": asked["reason"],
        "person_validating": {"witness": asked["witness"],
                              "tool_verification": "automated, results under verification"},
        "media": _media(doc, objects, versions),
        "sanitization": _sanitization(rt, key_ids, versions, verification),
        "verification": verification.to_dict(key_ids),
        "post_sanitization": {
            "classification": "none: no recoverable content under this service's keys",
            "destination": "ciphertext files deleted from the blob store; the document's "
                           f"metadata row is kept in state {DOC_ERASED!r}"},
        "time": {"keys_destroyed_at": _iso(erasure.started_at), "completed_at": _iso(utcnow())},
        "audit": {"keys_destroyed_event_seq": details.get("keys_destroyed_audit_seq")},
        "software": {"name": "sekisho", "version": software_version()},
        "signer_certificate_sha256": certificate_sha256(certificate_pem),
    }


def _media(doc: Document, objects: list[dict[str, Any]],
           versions: Iterable[int | None]) -> dict[str, Any]:
    return {
        "media_type": "encrypted objects (sealed stream v1 files) in the sekisho blob store",
        "source": {"document_id": doc.id, "filename": doc.filename, "owner": doc.owner.name,
                   "profile": doc.profile, "direction": doc.direction,
                   "received_at": _iso(doc.created_at), "original_sha256": doc.sha256},
        "classification": doc.label,
        "data_backed_up": "unknown",
        "backups": backup_coverage_note(versions),
        "objects": objects,
    }


def _sanitization(rt: Runtime, key_ids: list[str], versions: list[int | None],
                  verification: ErasureVerification) -> dict[str, Any]:
    return {
        "method_type": SP800_88_METHOD_TYPE, "method": ERASE_METHOD,
        "method_details": "each version was sealed from its first byte under its own DEK; the "
                          "wrapped DEKs were deleted from the key store, the deletion settled "
                          "to disk, verified, then the ciphertext files were deleted",
        "tool": {"name": "sekisho", "version": software_version(),
                 "components": ["keys.erase", "service.erasure"]},
        "algorithms": {"content": "AES-256-GCM sealed stream v1, per-file key HKDF-SHA-256",
                       "data_key": "AES-256, one per object",
                       "key_wrap": "AES-256-GCM, key id as associated data",
                       "kek_provider": type(rt.kek).__name__},
        "key_ids": key_ids,
        "kek_versions": sorted({v for v in versions if v is not None}),
        "key_store": {"engine": "sqlite" if rt.settings.uses_sqlite else "postgresql",
                      "steps": list(verification.store_steps)},
        "verification_method": "full: every object (key id lookup, open attempt, byte scan of "
                               "every key-store file)",
    }


def erasure_json(erasure: Erasure, alive: Collection[int] | None = None) -> dict[str, Any]:
    """The record as JSON, its exact signed bytes, the signature (base64) and certificate;
    with ``alive`` (the KEK versions that still exist), whether backups are covered yet."""
    def b64(data: bytes | None) -> str | None:
        return base64.b64encode(data).decode("ascii") if data is not None else None

    record = json.loads(erasure.record) if erasure.record else None
    return {"id": erasure.id, "document_id": erasure.document_id, "state": erasure.state,
            "record": record, "record_base64": b64(erasure.record),
            "record_sha256": erasure.record_sha256,
            "signature": b64(erasure.signature), "signature_format": SIGNATURE_FORMAT,
            "certificate_pem": erasure.certificate_pem, "audit_seq": erasure.audit_seq,
            "started_at": _iso(erasure.started_at), "completed_at": _iso(erasure.completed_at),
            "backup_coverage": _coverage(record, alive)}


def _coverage(record: dict[str, Any] | None, alive: Collection[int] | None,
              ) -> dict[str, Any] | None:
    """Live status, outside the signed record: copies of the wrapped DEKs in backups are dead
    once every KEK version that wrapped them has been destroyed by a rotation (crypto.md)."""
    if record is None or alive is None:
        return None
    versions = record["sanitization"]["kek_versions"]
    remaining = sorted(set(versions) & set(alive))
    return {"kek_versions": versions, "still_alive": remaining, "covered": not remaining,
            "note": "checked now against the KEK provider; not part of the signed record"}
