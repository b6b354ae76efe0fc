"""Exports (issue 6, items 1, 2 and 4): the profile's policy decides, approvals are asked for
each pending rule, the package is made once nothing stands in the way, and every step lands
in the exchange record (Ishikawa 第12(6)) and the audit log.

States: ``denied`` (recorded, nothing made), ``awaiting_approval``, ``rejected`` (an approver
said no), ``ready`` (package made), ``delivered`` (downloaded), ``confirmed`` (the recipient's
size and hash matched, Ishikawa 第12(4); staging purged, Saitama 第8 1(3)ケ) and ``erased``
(読後廃棄: the package's key was crypto-erased after the first download or the deadline).

The code lives in service.export_* (states, request, packaging, approval, delivery, erasure,
json; the package itself in service.export_package); this module is the public entry point
and re-exports their names. Importing it registers the approval handlers.
"""

from __future__ import annotations

from service.export_approval import (
    on_export_approval_expired,
    on_export_decided,
    package_approved,
)
from service.export_delivery import (
    SHA256_HEX,
    check_downloadable,
    confirm_delivery,
    mismatch_error,
    parse_confirmation,
    record_confirmation,
    take_download,
)
from service.export_erasure import (
    erase_expired_exports,
    erase_package,
    package_erased,
    system_erase_request,
)
from service.export_json import export_json
from service.export_request import (
    FORMATS,
    MAX_CERTIFICATE,
    MAX_DOCUMENTS,
    MAX_FIELD,
    ExportRequest,
    create_export,
    decide,
    document_facts,
    load_documents,
    parse_request,
)
from service.export_states import (
    APPROVED,
    AWAITING,
    CONFIRMED,
    DELIVERED,
    DENIED,
    DOWNLOADABLE,
    ERASED,
    EXPIRED,
    READ_ONCE_REASON,
    READY,
    REJECTED,
)

__all__ = [
    "APPROVED",
    "AWAITING",
    "CONFIRMED",
    "DELIVERED",
    "DENIED",
    "DOWNLOADABLE",
    "ERASED",
    "EXPIRED",
    "FORMATS",
    "MAX_CERTIFICATE",
    "MAX_DOCUMENTS",
    "MAX_FIELD",
    "READY",
    "READ_ONCE_REASON",
    "REJECTED",
    "SHA256_HEX",
    "ExportRequest",
    "check_downloadable",
    "confirm_delivery",
    "create_export",
    "decide",
    "document_facts",
    "erase_expired_exports",
    "erase_package",
    "export_json",
    "load_documents",
    "mismatch_error",
    "on_export_approval_expired",
    "on_export_decided",
    "package_approved",
    "package_erased",
    "parse_confirmation",
    "parse_request",
    "record_confirmation",
    "system_erase_request",
    "take_download",
]
