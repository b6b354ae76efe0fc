"""The ONE CRYPTREC allow-list: every primitive asks here before it runs.

Saitama 第6 1(5)ア(ウ)(エ) requires CRYPTREC-listed algorithms (LS-0001-2022R2); Chiba
10.1(16)イ requires the methods designated by the 統括情報セキュリティ責任者. Both are served by
one configurable list: the default below mirrors reference/crypto.md, and an organisation may
install a narrower one at start-up (:func:`install_allowlist`).

危殆化 (Saitama 第6 1(5)ア(オ)): an algorithm can be marked WITHDRAWN. It is then refused for new
work (encrypt, wrap, sign, derive for writing) but still allowed to open what already exists,
because the emergency procedure has to read old objects in order to re-encrypt them.

Algorithm ids are exact, case-sensitive strings; they are written into every stored header so
that objects protected by a withdrawn algorithm can be found.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from types import MappingProxyType

from core.errors import AlgorithmNotAllowed


class AlgorithmStatus(Enum):
    ALLOWED = "allowed"
    # 危殆化: refused for new work, still usable to decrypt/verify existing data.
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class AlgorithmSpec:
    """One allowed algorithm and the parameters it may be used with."""

    algorithm: str
    purpose: str
    # Exact key sizes in bits; empty means "no exact size" (see min_key_bits) or keyless.
    key_bits: frozenset[int] = frozenset()
    min_key_bits: int | None = None
    # Exact nonce/IV lengths in bytes; empty means the algorithm takes no nonce.
    nonce_lengths: frozenset[int] = frozenset()
    status: AlgorithmStatus = AlgorithmStatus.ALLOWED

    @property
    def takes_key(self) -> bool:
        return bool(self.key_bits) or self.min_key_bits is not None


_AES256 = frozenset({256})
_GCM_NONCE = frozenset({12})  # 96-bit nonce only: other lengths go through GHASH (SP 800-38D)

# CRYPTREC LS-0001-2022R2 as summarised in reference/crypto.md. New keys are AES-256 /
# RSA >= 3072 / ECC >= 256 because 112-bit operations end after 2030 (CRYPTREC strength rules).
DEFAULT_SPECS: tuple[AlgorithmSpec, ...] = (
    AlgorithmSpec("AES-256-GCM", "content encryption, key wrap", _AES256, None, _GCM_NONCE),
    AlgorithmSpec("CHACHA20-POLY1305", "content encryption", _AES256, None, _GCM_NONCE),
    AlgorithmSpec("HKDF-SHA-256", "key derivation", min_key_bits=256),
    # The "key" is a password: its length policy belongs to the export recipe, not here.
    AlgorithmSpec("PBKDF2-HMAC-SHA-256", "password key derivation", min_key_bits=1),
    AlgorithmSpec("HMAC-SHA-256", "MAC", min_key_bits=256),
    AlgorithmSpec("HMAC-SHA-384", "MAC", min_key_bits=256),
    AlgorithmSpec("HMAC-SHA-512", "MAC", min_key_bits=256),
    AlgorithmSpec("CMAC-AES-256", "MAC", _AES256),
    AlgorithmSpec("SHA-256", "hash"),
    AlgorithmSpec("SHA-384", "hash"),
    AlgorithmSpec("SHA-512", "hash"),
    AlgorithmSpec("SHA-512/256", "hash"),
    AlgorithmSpec("SHA3-256", "hash"),
    AlgorithmSpec("SHA3-384", "hash"),
    AlgorithmSpec("SHA3-512", "hash"),
    AlgorithmSpec("RSA-OAEP-SHA-256", "key transport", min_key_bits=3072),
    AlgorithmSpec("RSA-PSS-SHA-256", "signature", min_key_bits=3072),
    AlgorithmSpec("ECDSA-P256-SHA-256", "signature", frozenset({256})),
    AlgorithmSpec("ECDSA-P384-SHA-384", "signature", frozenset({384})),
    AlgorithmSpec("ED25519", "signature", frozenset({256})),
    AlgorithmSpec("ED448", "signature", frozenset({456})),
    AlgorithmSpec("ECDH-P256", "key agreement", frozenset({256})),
    AlgorithmSpec("ECDH-P384", "key agreement", frozenset({384})),
    AlgorithmSpec("ECDH-P521", "key agreement", frozenset({521})),
)

# Names people will reach for, with the reason they are refused (so the error is actionable).
REFUSED: Mapping[str, str] = MappingProxyType({
    "AES-128-GCM": "new keys must be AES-256 (CRYPTREC strength rules after 2030)",
    "AES-192-GCM": "new keys must be AES-256 (CRYPTREC strength rules after 2030)",
    "AES-KW": "AES key wrap is not on the CRYPTREC list; wrap with AES-256-GCM",
    "AES-KWP": "AES key wrap is not on the CRYPTREC list; wrap with AES-256-GCM",
    "AES-ECB": "ECB mode is refused",
    "AES-OCB": "OCB mode is not on the CRYPTREC list",
    "AES-SIV": "SIV mode is not on the CRYPTREC list",
    "AES-GCM-SIV": "GCM-SIV is not on the CRYPTREC list",
    "XCHACHA20-POLY1305": "XChaCha20 is not on the CRYPTREC list",
    "3DES": "3DES is refused",
    "RSAES-PKCS1-V1_5": "PKCS#1 v1.5 encryption is on the monitored list (compatibility only)",
    "X25519": "X25519 is not on the CRYPTREC list",
    "DSA": "DSA is withdrawn by FIPS 186-5",
    "SHA-1": "SHA-1 is on the monitored list",
    "HMAC-SHA-1": "SHA-1 is on the monitored list",
    "PBKDF2-HMAC-SHA-1": "SHA-1 is on the monitored list",
    "RIPEMD-160": "RIPEMD-160 is on the monitored list",
    "SHA-224": "SHA-224 is below the 128-bit strength floor",
    "SCRYPT": "scrypt is an unlisted primitive",
    "ARGON2": "Argon2 is an unlisted primitive",
    "CBC-MAC": "CBC-MAC is refused; use HMAC-SHA-2 or CMAC-AES",
})


class AllowList:
    """An immutable set of :class:`AlgorithmSpec`; derive variants with :meth:`withdraw`."""

    __slots__ = ("_specs",)

    def __init__(self, specs: Iterable[AlgorithmSpec]) -> None:
        self._specs: Mapping[str, AlgorithmSpec] = MappingProxyType(
            {spec.algorithm: spec for spec in specs}
        )

    def __repr__(self) -> str:
        return f"AllowList({sorted(self._specs)!r}, withdrawn={sorted(self.withdrawn())!r})"

    def algorithms(self) -> tuple[str, ...]:
        return tuple(sorted(self._specs))

    def withdrawn(self) -> frozenset[str]:
        return frozenset(
            name for name, spec in self._specs.items()
            if spec.status is AlgorithmStatus.WITHDRAWN
        )

    def spec(self, algorithm: str) -> AlgorithmSpec:
        found = self._specs.get(algorithm)
        if found is None:
            reason = REFUSED.get(algorithm.upper(), "it is not on the allow-list")
            raise AlgorithmNotAllowed(f"{algorithm!r} is not allowed: {reason}")
        return found

    def withdraw(self, algorithm: str) -> AllowList:
        """A copy with ``algorithm`` marked 危殆化 (Saitama 第6 1(5)ア(オ))."""
        spec = self.spec(algorithm)
        withdrawn = replace(spec, status=AlgorithmStatus.WITHDRAWN)
        return AllowList([*(s for s in self._specs.values() if s is not spec), withdrawn])

    def restricted_to(self, algorithms: Iterable[str]) -> AllowList:
        """A narrower list (Chiba 10.1(16)イ: only the methods the organisation designates)."""
        return AllowList(self.spec(name) for name in algorithms)

    def require(
        self,
        algorithm: str,
        *,
        key_bits: int | None = None,
        nonce_len: int | None = None,
        new_work: bool = True,
    ) -> AlgorithmSpec:
        """Return the spec, or raise :class:`AlgorithmNotAllowed` naming the reason."""
        spec = self.spec(algorithm)
        if new_work and spec.status is AlgorithmStatus.WITHDRAWN:
            raise AlgorithmNotAllowed(
                f"{algorithm!r} is withdrawn (危殆化): it may only open existing data"
            )
        if key_bits is not None:
            _check_key_bits(spec, key_bits)
        if nonce_len is not None:
            _check_nonce_len(spec, nonce_len)
        return spec


def _check_key_bits(spec: AlgorithmSpec, key_bits: int) -> None:
    if not spec.takes_key:
        raise AlgorithmNotAllowed(f"{spec.algorithm!r} takes no key")
    if spec.key_bits and key_bits not in spec.key_bits:
        allowed = ", ".join(str(b) for b in sorted(spec.key_bits))
        raise AlgorithmNotAllowed(
            f"{spec.algorithm!r} does not allow {key_bits}-bit keys (allowed: {allowed})"
        )
    if spec.min_key_bits is not None and key_bits < spec.min_key_bits:
        raise AlgorithmNotAllowed(
            f"{spec.algorithm!r} needs keys of at least {spec.min_key_bits} bits, got {key_bits}"
        )


def _check_nonce_len(spec: AlgorithmSpec, nonce_len: int) -> None:
    if nonce_len not in spec.nonce_lengths:
        allowed = ", ".join(str(n) for n in sorted(spec.nonce_lengths)) or "none"
        raise AlgorithmNotAllowed(
            f"{spec.algorithm!r} does not allow a {nonce_len}-byte nonce (allowed: {allowed})"
        )


DEFAULT_ALLOWLIST = AllowList(DEFAULT_SPECS)

# The list in force for this process. Replaced only at start-up (install_allowlist), read on
# every primitive call; a module global so primitives need no list threaded through them.
_active: AllowList = DEFAULT_ALLOWLIST


def active_allowlist() -> AllowList:
    return _active


def install_allowlist(allowlist: AllowList) -> AllowList:
    """Put ``allowlist`` in force (start-up, or the 危殆化 emergency); returns the previous one."""
    global _active
    previous, _active = _active, allowlist
    return previous


def require_allowed(
    algorithm: str,
    *,
    key_bits: int | None = None,
    nonce_len: int | None = None,
    new_work: bool = True,
) -> AlgorithmSpec:
    """Check ``algorithm`` (and its key size / nonce length) against the list in force.

    ``new_work=False`` is for opening existing data (decrypt, unwrap, verify): it is still
    refused for algorithms that are not on the list at all, but allowed for WITHDRAWN ones.
    """
    return _active.require(algorithm, key_bits=key_bits, nonce_len=nonce_len, new_work=new_work)
