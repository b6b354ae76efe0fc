"""AES-256 keys inside a PKCS#11 token (python-pkcs11): the only importer of ``pkcs11``.

The KEK never leaves the token: it is generated there sensitive and non-extractable, and every
wrap/unwrap is CKM_AES_GCM computed by the token (AES-KW is not on the CRYPTREC list;
reference/crypto.md). CKA_PRIVATE stays on because SoftHSM2 otherwise stores the key bytes
unencrypted in its token files.

Sessions: PKCS#11 logs in per application, not per session, and a second C_Login fails, so
this module keeps ONE logged-in session per (module, token) per process, shared by every
handle and serialised by a lock (python-pkcs11 sessions are not thread-safe). After a fork
(Celery prefork) the library is re-initialised, as PKCS#11 requires; a session the library
reports as gone (token restarted) is reopened once.

Errors: nothing from python-pkcs11 crosses this boundary. A failed GCM open is the opaque
DecryptionFailed; a missing token or key is KeyUnavailable; a refused PIN is
ConfigurationError (the PIN file is wrong). The PIN is used to log in and not kept.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11
from pkcs11.mechanisms import GCMParams

from core.errors import ConfigurationError, DecryptionFailed, KeyUnavailable
from keys.allowlist import require

ALGORITHM = "AES-256-GCM"
KEY_BITS = 256
NONCE_BYTES = 12
TAG_BITS = 128
_T = TypeVar("_T")

# Session loss that a fresh session can cure (HSM restart, C_Finalize elsewhere).
_SESSION_GONE = (p11.SessionHandleInvalid, p11.SessionClosed, p11.DeviceRemoved,
                 p11.TokenNotPresent)
# A cached object handle that went stale (the object was destroyed or the token reloaded).
_STALE_HANDLE = (p11.ObjectHandleInvalid, p11.KeyHandleInvalid)
_KEK_TEMPLATE: dict[Attribute, Any] = {
    Attribute.TOKEN: True,
    Attribute.PRIVATE: True,
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
    Attribute.ENCRYPT: True,
    Attribute.DECRYPT: True,
    Attribute.WRAP: False,
    Attribute.UNWRAP: False,
    Attribute.SIGN: False,
    Attribute.VERIFY: False,
    Attribute.DERIVE: False,
}


@dataclass
class _Shared:
    session: Any
    pid: int
    keys: dict[str, Any] = field(default_factory=dict)


_LOCK = threading.RLock()
_SESSIONS: dict[tuple[str, str], _Shared] = {}


class TokenKeys:
    """Named AES-256 secret keys on one token. Holds no PIN and no key bytes."""

    __slots__ = ("_module", "_pin", "_token_label")

    def __init__(self, module: str, token_label: str, pin: Callable[[], str]) -> None:
        self._module = module
        self._token_label = token_label
        self._pin = pin  # read when a session has to be opened, then dropped

    def __repr__(self) -> str:
        return f"TokenKeys(token={self._token_label!r})"

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("token handles cannot be pickled or copied")

    def labels(self) -> list[str]:
        """Labels of every secret key on the token."""
        def run(shared: _Shared) -> list[str]:
            found = shared.session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY})
            return [str(obj[Attribute.LABEL]) for obj in list(found)]
        return self._run(run)

    def generate(self, label: str) -> None:
        """A new non-extractable AES-256 token key named ``label`` (refuses duplicates)."""
        require(ALGORITHM, key_bits=KEY_BITS, new_work=True)

        def run(shared: _Shared) -> None:
            if _find(shared, label) is not None:
                raise ConfigurationError(f"token key {label!r} already exists")
            shared.session.generate_key(
                KeyType.AES, KEY_BITS, label=label, store=True, template=_KEK_TEMPLATE)
        self._run(run)

    def destroy(self, label: str) -> bool:
        """C_DestroyObject on the key; False if it did not exist."""
        def run(shared: _Shared) -> bool:
            key = _find(shared, label)
            shared.keys.pop(label, None)
            if key is None:
                return False
            key.destroy()
            return True
        return self._run(run)

    def attributes(self, label: str) -> dict[str, bool]:
        """The protection flags of a key (for tests and `sekisho crypto status`)."""
        def run(shared: _Shared) -> dict[str, bool]:
            key = _require_key(shared, label)
            names = ("SENSITIVE", "EXTRACTABLE", "PRIVATE", "TOKEN", "NEVER_EXTRACTABLE")
            return {name.lower(): bool(key[Attribute[name]]) for name in names}
        return self._run(run)

    def gcm_encrypt(self, label: str, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        """CKM_AES_GCM on the token: ciphertext || 16-byte tag."""
        require(ALGORITHM, key_bits=KEY_BITS, nonce_len=len(nonce), new_work=True)

        def run(shared: _Shared) -> bytes:
            key = _require_key(shared, label)
            params = GCMParams(nonce, aad, TAG_BITS)
            return bytes(key.encrypt(plaintext, mechanism=Mechanism.AES_GCM,
                                     mechanism_param=params))
        return self._run(run)

    def gcm_decrypt(self, label: str, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        require(ALGORITHM, key_bits=KEY_BITS, nonce_len=len(nonce), new_work=False)

        def run(shared: _Shared) -> bytes:
            key = _require_key(shared, label)
            params = GCMParams(nonce, aad, TAG_BITS)
            try:
                return bytes(key.decrypt(ciphertext, mechanism=Mechanism.AES_GCM,
                                         mechanism_param=params))
            except (*_SESSION_GONE, *_STALE_HANDLE):
                raise
            except p11.PKCS11Error:
                # SoftHSM reports a bad tag as CKR_GENERAL_ERROR, others as
                # CKR_ENCRYPTED_DATA_INVALID: all of it is the one opaque failure.
                raise DecryptionFailed() from None
        return self._run(run)

    # --- session handling ----------------------------------------------------------------

    def _run(self, operation: Callable[[_Shared], _T]) -> _T:
        with _LOCK:
            try:
                return operation(self._shared())
            except _SESSION_GONE:
                self._forget()
            except _STALE_HANDLE:
                self._shared().keys.clear()
            return operation(self._shared())  # once more, on a fresh session or handle

    def _shared(self) -> _Shared:
        key = (self._module, self._token_label)
        shared = _SESSIONS.get(key)
        if shared is not None and shared.pid != os.getpid():
            # A forked child must not use its parent's sessions (PKCS#11 2.40, 6.7.7).
            _library(self._module).reinitialize()
            _SESSIONS.clear()
            shared = None
        if shared is None:
            shared = _Shared(self._open_session(), os.getpid())
            _SESSIONS[key] = shared
        return shared

    def _forget(self) -> None:
        _SESSIONS.pop((self._module, self._token_label), None)

    def _open_session(self) -> Any:
        token = self._token()
        try:
            return token.open(user_pin=self._pin(), rw=True)
        except p11.UserAlreadyLoggedIn:
            return token.open(rw=True)  # another session of this process is logged in
        except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange, p11.PinLocked):
            raise ConfigurationError(
                f"the PKCS#11 token {self._token_label!r} refused the PIN from the PIN file"
            ) from None

    def _token(self) -> Any:
        lib = _library(self._module)
        for attempt in range(2):
            try:
                return lib.get_token(token_label=self._token_label)
            except (p11.NoSuchToken, p11.TokenNotPresent):
                if attempt == 0:
                    lib.reinitialize()  # a token created after C_Initialize is not listed yet
                    _SESSIONS.clear()
        raise KeyUnavailable(f"no PKCS#11 token labelled {self._token_label!r}")


def _library(module: str) -> Any:
    try:
        return pkcs11.lib(module)
    except (OSError, RuntimeError, p11.PKCS11Error):
        raise ConfigurationError(f"cannot load the PKCS#11 module {module}") from None


def _find(shared: _Shared, label: str) -> Any | None:
    cached = shared.keys.get(label)
    if cached is not None:
        return cached
    attrs = {Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.LABEL: label}
    found = list(shared.session.get_objects(attrs))  # list(): finish the search at once
    if len(found) > 1:
        raise ConfigurationError(f"more than one token key is labelled {label!r}")
    if found:
        shared.keys[label] = found[0]
    return found[0] if found else None


def _require_key(shared: _Shared, label: str) -> Any:
    key = _find(shared, label)
    if key is None:
        raise KeyUnavailable(f"token key {label!r} does not exist (destroyed or never made)")
    return key
