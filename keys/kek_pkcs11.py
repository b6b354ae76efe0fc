"""The production KEK provider: AES-256 keys inside a PKCS#11 token (an HSM; SoftHSM2 in tests).

CRY-10 (Saitama 第8 1(5)ア: decryption keys not on internet-connected computers): the KEK is
generated on the token, sensitive and non-extractable, and every wrap and unwrap is CKM_AES_GCM
computed by the token with the key id as associated data (AES-KW is not on the CRYPTREC list).
The wrapped blob is the same :class:`keys.wrapped.WrappedKey` the file provider writes
("AES-256-GCM", KEK version, nonce, ciphertext||tag), so the service stores both alike.

Token objects are labelled ``{prefix}kek-v{N}`` (default prefix ``sekisho-``): epochs are
versions, rotation (keys.epochs) generates the next one and C_DestroyObject's the old ones.

Configuration (the service's frozen settings; :meth:`Pkcs11Config.from_env` reads them)::

    SEKISHO_PKCS11_MODULE      path of the PKCS#11 module (.so)
    SEKISHO_PKCS11_TOKEN       token label
    SEKISHO_PKCS11_PIN_FILE    file holding the user PIN (0600, owned by the service user)
    SEKISHO_PKCS11_KEY_PREFIX  optional label prefix (default "sekisho-")
    SEKISHO_PKCS11_TOKEN_DIR   optional: where the token keeps its files, for the erase check
                               (default: SoftHSM2's directories.tokendir from SOFTHSM2_CONF)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from core.errors import ConfigurationError, Conflict, DecryptionFailed, KeyUnavailable
from keys.handles import DataKey, require_valid_key_id
from keys.kek import kek_label
from keys.keyfiles import read_secret_file
from keys.primitives.pkcs11_token import ALGORITHM, NONCE_BYTES, TokenKeys
from keys.primitives.randomness import random_bytes
from keys.wrapped import WrappedKey

DEFAULT_PREFIX = "sekisho-"
MAX_PIN_BYTES = 256
_PREFIX = re.compile(r"[A-Za-z0-9._-]{0,32}")


@dataclass(frozen=True)
class Pkcs11Config:
    module: Path
    token_label: str
    pin_file: Path
    key_prefix: str = DEFAULT_PREFIX
    token_dir: Path | None = None

    def __post_init__(self) -> None:
        if not _PREFIX.fullmatch(self.key_prefix):
            raise ConfigurationError("SEKISHO_PKCS11_KEY_PREFIX: up to 32 of A-Z a-z 0-9 . _ -")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Pkcs11Config | None:
        """None when SEKISHO_PKCS11_MODULE is unset (the file provider is the default)."""
        module = env.get("SEKISHO_PKCS11_MODULE")
        if not module:
            return None
        missing = [n for n in ("SEKISHO_PKCS11_TOKEN", "SEKISHO_PKCS11_PIN_FILE") if not env.get(n)]
        if missing:
            raise ConfigurationError(
                f"SEKISHO_PKCS11_MODULE is set but {', '.join(missing)} is not"
            )
        token_dir = env.get("SEKISHO_PKCS11_TOKEN_DIR") or _softhsm_token_dir(env)
        return cls(
            module=Path(module),
            token_label=env["SEKISHO_PKCS11_TOKEN"],
            pin_file=Path(env["SEKISHO_PKCS11_PIN_FILE"]),
            key_prefix=env.get("SEKISHO_PKCS11_KEY_PREFIX", DEFAULT_PREFIX),
            token_dir=Path(token_dir) if token_dir else None,
        )


def _softhsm_token_dir(env: Mapping[str, str]) -> str | None:
    conf = env.get("SOFTHSM2_CONF")
    if not conf or not Path(conf).is_file():
        return None
    for line in Path(conf).read_text(encoding="utf-8", errors="replace").splitlines():
        name, _, value = line.partition("=")
        if name.strip() == "directories.tokendir" and value.strip():
            return value.strip()
    return None


class Pkcs11KekProvider:
    """KEK provider whose keys live, and whose wrapping happens, inside a PKCS#11 token."""

    def __init__(self, config: Pkcs11Config) -> None:
        self._config = config
        self._label = re.compile(re.escape(config.key_prefix) + r"kek-v([1-9][0-9]{0,8})")
        self._token = TokenKeys(str(config.module), config.token_label, self._read_pin)
        # Check the PIN file now (start-up), not at the first wrap: a PIN readable by others is
        # a configuration error even when this process already has a logged-in session.
        self._read_pin()

    def __repr__(self) -> str:
        return f"Pkcs11KekProvider(token={self._config.token_label!r})"

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("a KEK provider cannot be pickled or copied")

    def _read_pin(self) -> str:
        return read_secret_file(self._config.pin_file, MAX_PIN_BYTES)

    def label(self, version: int) -> str:
        return self._config.key_prefix + kek_label(version)

    def initialise(self) -> None:
        """Generate KEK v1 on the token if no version exists. Idempotent."""
        if not self.versions():
            self._token.generate(self.label(1))

    def versions(self) -> tuple[int, ...]:
        found = (self._label.fullmatch(name) for name in self._token.labels())
        return tuple(sorted(int(m.group(1)) for m in found if m))

    def current_version(self) -> int:
        versions = self.versions()
        if not versions:
            raise KeyUnavailable("no KEK on the PKCS#11 token (run initialise)")
        return versions[-1]

    def create_version(self) -> int:
        version = self.current_version() + 1
        self._token.generate(self.label(version))
        return version

    def destroy_version(self, version: int) -> None:
        if version >= self.current_version():
            raise Conflict("the current KEK version cannot be destroyed; rotate first")
        self._token.destroy(self.label(version))

    def residue_paths(self) -> tuple[Path, ...]:
        return (self._config.token_dir,) if self._config.token_dir else ()

    def key_attributes(self, version: int) -> dict[str, bool]:
        """The token's protection flags for one KEK version (sensitive, extractable, ...)."""
        return self._token.attributes(self.label(version))

    def wrap(self, data_key: DataKey, key_id: str) -> WrappedKey:
        version = self.current_version()
        nonce = random_bytes(NONCE_BYTES)
        shell = WrappedKey(ALGORITHM, version, nonce, b"")
        aad = shell.associated_data(require_valid_key_id(key_id))
        ciphertext = self._token.gcm_encrypt(
            self.label(version), nonce, data_key.secret_bytes(), aad)
        return WrappedKey(ALGORITHM, version, nonce, ciphertext)

    def unwrap(self, wrapped: WrappedKey, key_id: str) -> DataKey:
        if wrapped.algorithm != ALGORITHM:
            raise DecryptionFailed()  # the token only ever wraps with CKM_AES_GCM
        if wrapped.kek_version < 1:
            raise KeyUnavailable("no such KEK version")
        aad = wrapped.associated_data(require_valid_key_id(key_id))
        plaintext = self._token.gcm_decrypt(
            self.label(wrapped.kek_version), wrapped.nonce, wrapped.ciphertext, aad)
        return DataKey(plaintext)
