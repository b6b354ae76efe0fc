"""Key management and cryptography: the recipes the service calls.

Only ``keys.primitives`` touches ``cryptography.hazmat``; everything here is built from it and
checked against the one allow-list (:mod:`keys.allowlist`). Submodules never import from this
package namespace, so re-exporting here creates no import cycle.
"""

from keys.allowlist import (
    AllowList,
    active_allowlist,
    install_allowlist,
    require_allowed,
)
from keys.audit import AUDIT_MAC_FILE, AuditMac
from keys.handles import DataKey, new_data_key, new_key_id
from keys.kek import KekProvider
from keys.kek_file import FileKekProvider, kek_file_name
from keys.objects import OBJECT_KEY_ALGORITHM, NewObjectKey, new_object_key, open_object_key
from keys.sealed import SealedWriter, decrypt_all, iter_sealed, read_header
from keys.sealed_format import DEFAULT_SEGMENT_SIZE, SealedHeader
from keys.wrapped import WrappedKey

__all__ = [
    "AUDIT_MAC_FILE",
    "DEFAULT_SEGMENT_SIZE",
    "OBJECT_KEY_ALGORITHM",
    "AllowList",
    "AuditMac",
    "DataKey",
    "FileKekProvider",
    "KekProvider",
    "NewObjectKey",
    "SealedHeader",
    "SealedWriter",
    "WrappedKey",
    "active_allowlist",
    "decrypt_all",
    "install_allowlist",
    "iter_sealed",
    "kek_file_name",
    "new_data_key",
    "new_key_id",
    "new_object_key",
    "open_object_key",
    "read_header",
    "require_allowed",
]
