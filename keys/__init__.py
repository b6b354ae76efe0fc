"""Key management and cryptography: the recipes the service calls.

Only ``keys.primitives`` touches ``cryptography.hazmat`` and ``pkcs11``; everything here is
built from it and checked against the one allow-list (:mod:`keys.allowlist`). Submodules never
import from this package namespace, so re-exporting here creates no import cycle.

The PKCS#11 provider is not re-exported: importing it loads python-pkcs11 (the ``hsm`` extra),
so the service imports :mod:`keys.kek_pkcs11` only when SEKISHO_PKCS11_MODULE is set.
"""

from keys.allowlist import (
    AlgorithmRefused,
    AlgorithmWithdrawn,
    AllowList,
    active_allowlist,
    install_allowlist,
    require,
    require_allowed,
    withdraw,
)
from keys.audit import AUDIT_MAC_FILE, AuditMac
from keys.capabilities import EXPORT_RAW_KEY, CapabilityRequired
from keys.epochs import (
    RewrapResult,
    RotationIncomplete,
    RotationReport,
    finish_rotation,
    rewrap,
    rotate,
    start_rotation,
    versions_in_use,
)
from keys.handles import DataKey, new_data_key, new_key_id
from keys.kek import KekProvider
from keys.kek_file import FileKekProvider, kek_file_name
from keys.migrate import (
    MigratedObject,
    migrate_object,
    object_algorithms,
    reseal,
    sealed_algorithms,
    wrapped_algorithms,
)
from keys.objects import OBJECT_KEY_ALGORITHM, NewObjectKey, new_object_key, open_object_key
from keys.sealed import SealedWriter, decrypt_all, iter_sealed, read_header, unseal_to
from keys.sealed_format import (
    DEFAULT_SEGMENT_SIZE,
    SealedHeader,
    SealedSuite,
    UnsupportedFormatVersion,
    default_suite,
)
from keys.withdrawal import WithdrawalRegistry
from keys.wrapped import WrappedKey

__all__ = [
    "AUDIT_MAC_FILE",
    "DEFAULT_SEGMENT_SIZE",
    "EXPORT_RAW_KEY",
    "OBJECT_KEY_ALGORITHM",
    "AlgorithmRefused",
    "AlgorithmWithdrawn",
    "AllowList",
    "AuditMac",
    "CapabilityRequired",
    "DataKey",
    "FileKekProvider",
    "KekProvider",
    "MigratedObject",
    "NewObjectKey",
    "RewrapResult",
    "RotationIncomplete",
    "RotationReport",
    "SealedHeader",
    "SealedSuite",
    "SealedWriter",
    "UnsupportedFormatVersion",
    "WithdrawalRegistry",
    "WrappedKey",
    "active_allowlist",
    "decrypt_all",
    "default_suite",
    "finish_rotation",
    "install_allowlist",
    "iter_sealed",
    "kek_file_name",
    "migrate_object",
    "new_data_key",
    "new_key_id",
    "new_object_key",
    "object_algorithms",
    "open_object_key",
    "read_header",
    "require",
    "require_allowed",
    "reseal",
    "rewrap",
    "rotate",
    "sealed_algorithms",
    "start_rotation",
    "unseal_to",
    "versions_in_use",
    "withdraw",
    "wrapped_algorithms",
]
