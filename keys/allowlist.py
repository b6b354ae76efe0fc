"""The ONE CRYPTREC allow-list: every primitive, recipe and export asks here before it runs.

Saitama 第6 1(5)ア(ウ)(エ) requires CRYPTREC-listed algorithms (LS-0001-2022R2); Chiba
10.1(16)イ requires the methods designated by the 統括情報セキュリティ責任者. Both are served by
one configurable list: the default table below mirrors reference/crypto.md, and an organisation
may install a narrower one at start-up (:func:`install_allowlist`).

The API is one call::

    require("AES-256-GCM", key_bits=256, nonce_len=12)          # new work (encrypt/wrap/sign)
    require("AES-256-GCM", nonce_len=12, new_work=False)         # opening existing data
    require("PBKDF2-HMAC-SHA-256", iterations=600_000)
    require("AES-256-CBC", key_bits=256, within="PDF-R6")        # only inside a forcing format

It returns the :class:`AlgorithmSpec` or raises :class:`AlgorithmRefused` (code
``algorithm_not_allowed``) whose ``reason`` says why, so a refusal is actionable.

危殆化 (Saitama 第6 1(5)ア(オ)): an algorithm can be marked WITHDRAWN (:func:`withdraw`, or a
persisted :class:`keys.withdrawal.WithdrawalRegistry`). It is then refused for new work
(encrypt, wrap, sign, derive for writing) with :class:`AlgorithmWithdrawn`, but still allowed
to open what already exists, because the emergency procedure has to read old objects in order
to re-encrypt them.

Algorithm ids are exact, case-sensitive strings; they are written into every stored header so
that objects protected by a withdrawn algorithm can be found.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from types import MappingProxyType

from core.errors import AlgorithmNotAllowed


class AlgorithmRefused(AlgorithmNotAllowed):
    """An algorithm or parameter refused by the list; ``reason`` is the human explanation."""

    def __init__(self, algorithm: str, reason: str) -> None:
        super().__init__(f"{algorithm!r} is not allowed: {reason}")
        self.algorithm = algorithm
        self.reason = reason


class AlgorithmWithdrawn(AlgorithmRefused):
    """危殆化: refused for new work; opening existing data (new_work=False) still works."""

    def __init__(self, algorithm: str) -> None:
        super().__init__(algorithm, "it is withdrawn (危殆化): it may only open existing data")


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
    # Password KDFs: the caller must state its iteration count, and it must reach this.
    min_iterations: int | None = None
    # Non-empty: allowed only inside these container formats (which force the algorithm).
    only_within: frozenset[str] = frozenset()
    status: AlgorithmStatus = AlgorithmStatus.ALLOWED

    @property
    def takes_key(self) -> bool:
        return bool(self.key_bits) or self.min_key_bits is not None


def _spec(
    algorithm: str, purpose: str, *, bits: Iterable[int] = (), min_bits: int | None = None,
    nonces: Iterable[int] = (), min_iterations: int | None = None, within: Iterable[str] = (),
) -> AlgorithmSpec:
    return AlgorithmSpec(algorithm, purpose, frozenset(bits), min_bits, frozenset(nonces),
                         min_iterations, frozenset(within))


# 96-bit GCM nonces only: other lengths go through GHASH (NIST SP 800-38D 8.2).
_N12 = (12,)
# OWASP 2023 / NIST SP 800-132 guidance for PBKDF2-HMAC-SHA-256 (issue 5: >= 600,000).
PBKDF2_MIN_ITERATIONS = 600_000

# THE TABLE. CRYPTREC LS-0001-2022R2 as summarised in reference/crypto.md. New keys are
# AES-256 / RSA >= 3072 / ECC >= 256 because 112-bit operations end after 2030 (CRYPTREC
# strength rules). One row per algorithm id; every use in keys/ names one of these ids.
DEFAULT_SPECS: tuple[AlgorithmSpec, ...] = (
    # id                    purpose                                   parameters
    _spec("AES-256-GCM", "content encryption, key wrap", bits=(256,), nonces=_N12),
    _spec("CHACHA20-POLY1305", "content encryption, key wrap", bits=(256,), nonces=_N12),
    # CBC has no integrity of its own: only where the recipient's format forces it, signed.
    _spec("AES-256-CBC", "content encryption inside PDF R6 / legacy CMS only", bits=(256,),
          nonces=(16,), within=("PDF-R6", "CMS-LEGACY")),
    _spec("HKDF-SHA-256", "key derivation", min_bits=256),
    # The "key" is a password: its length policy belongs to the export recipe, not here.
    _spec("PBKDF2-HMAC-SHA-256", "password key derivation", min_bits=1,
          min_iterations=PBKDF2_MIN_ITERATIONS),
    _spec("HMAC-SHA-256", "MAC", min_bits=256),
    _spec("HMAC-SHA-384", "MAC", min_bits=256),
    _spec("HMAC-SHA-512", "MAC", min_bits=256),
    _spec("CMAC-AES-256", "MAC", bits=(256,)),
    _spec("SHA-256", "hash"),
    _spec("SHA-384", "hash"),
    _spec("SHA-512", "hash"),
    _spec("SHA-512/256", "hash"),
    _spec("SHA3-256", "hash"),
    _spec("SHA3-384", "hash"),
    _spec("SHA3-512", "hash"),
    _spec("RSA-OAEP-SHA-256", "key transport (MGF1-SHA-256)", min_bits=3072),
    _spec("RSA-PSS-SHA-256", "signature (MGF1-SHA-256)", min_bits=3072),
    _spec("ECDSA-P256-SHA-256", "signature", bits=(256,)),
    _spec("ECDSA-P384-SHA-384", "signature", bits=(384,)),
    _spec("ED25519", "signature", bits=(256,)),
    _spec("ED448", "signature", bits=(456,)),
    _spec("ECDH-P256", "key agreement (with HKDF-SHA-256)", bits=(256,)),
    _spec("ECDH-P384", "key agreement (with HKDF-SHA-256)", bits=(384,)),
    _spec("ECDH-P521", "key agreement (with HKDF-SHA-256)", bits=(521,)),
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
    "ZIP-AES": "WinZip-AES uses PBKDF2-HMAC-SHA1 and HMAC-SHA1 (monitored); PPAP is abolished",
    "ZIPCRYPTO": "ZipCrypto is broken; PPAP (password ZIP by mail) was abolished in 2020",
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

    def specs(self) -> tuple[AlgorithmSpec, ...]:
        """Every row, in table order (for `sekisho crypto list` and the docs)."""
        return tuple(self._specs.values())

    def withdrawn(self) -> frozenset[str]:
        return frozenset(
            name for name, spec in self._specs.items()
            if spec.status is AlgorithmStatus.WITHDRAWN
        )

    def __contains__(self, algorithm: object) -> bool:
        return algorithm in self._specs

    def spec(self, algorithm: str) -> AlgorithmSpec:
        found = self._specs.get(algorithm)
        if found is None:
            raise AlgorithmRefused(
                algorithm, REFUSED.get(algorithm.upper(), "it is not on the allow-list")
            )
        return found

    def withdraw(self, *algorithms: str) -> AllowList:
        """A copy with ``algorithms`` marked 危殆化 (Saitama 第6 1(5)ア(オ))."""
        specs = dict(self._specs)
        for name in algorithms:
            specs[name] = replace(self.spec(name), status=AlgorithmStatus.WITHDRAWN)
        return AllowList(specs.values())

    def restricted_to(self, algorithms: Iterable[str]) -> AllowList:
        """A narrower list (Chiba 10.1(16)イ: only the methods the organisation designates)."""
        return AllowList(self.spec(name) for name in algorithms)

    def require(
        self,
        algorithm: str,
        *,
        key_bits: int | None = None,
        nonce_len: int | None = None,
        iterations: int | None = None,
        within: str | None = None,
        new_work: bool = True,
    ) -> AlgorithmSpec:
        """Return the spec, or raise :class:`AlgorithmRefused` naming the reason."""
        spec = self.spec(algorithm)
        if new_work and spec.status is AlgorithmStatus.WITHDRAWN:
            raise AlgorithmWithdrawn(algorithm)
        if key_bits is not None:
            _check_key_bits(spec, key_bits)
        if nonce_len is not None:
            _check_nonce_len(spec, nonce_len)
        _check_iterations(spec, iterations)
        _check_within(spec, within)
        return spec


def _check_key_bits(spec: AlgorithmSpec, key_bits: int) -> None:
    if not spec.takes_key:
        raise AlgorithmRefused(spec.algorithm, "it takes no key")
    if spec.key_bits and key_bits not in spec.key_bits:
        allowed = ", ".join(str(b) for b in sorted(spec.key_bits))
        raise AlgorithmRefused(
            spec.algorithm, f"{key_bits}-bit keys are not allowed (allowed: {allowed})"
        )
    if spec.min_key_bits is not None and key_bits < spec.min_key_bits:
        raise AlgorithmRefused(
            spec.algorithm, f"it needs keys of at least {spec.min_key_bits} bits, got {key_bits}"
        )


def _check_nonce_len(spec: AlgorithmSpec, nonce_len: int) -> None:
    if nonce_len not in spec.nonce_lengths:
        allowed = ", ".join(str(n) for n in sorted(spec.nonce_lengths)) or "none"
        raise AlgorithmRefused(
            spec.algorithm, f"a {nonce_len}-byte nonce is not allowed (allowed: {allowed})"
        )


def _check_iterations(spec: AlgorithmSpec, iterations: int | None) -> None:
    if spec.min_iterations is None:
        if iterations is not None:
            raise AlgorithmRefused(spec.algorithm, "it takes no iteration count")
        return
    # Fail closed: a password KDF call that does not state its work factor is refused.
    if iterations is None or iterations < spec.min_iterations:
        raise AlgorithmRefused(
            spec.algorithm,
            f"it needs at least {spec.min_iterations:,} iterations, got {iterations}",
        )


def _check_within(spec: AlgorithmSpec, within: str | None) -> None:
    if spec.only_within and within not in spec.only_within:
        formats = ", ".join(sorted(spec.only_within))
        raise AlgorithmRefused(
            spec.algorithm, f"it is allowed only inside a format that forces it ({formats})"
        )


DEFAULT_ALLOWLIST = AllowList(DEFAULT_SPECS)

# The list in force for this process. Replaced only at start-up (install_allowlist) or by the
# 危殆化 procedure, read on every primitive call; a module global so primitives need no list
# threaded through them.
_active: AllowList = DEFAULT_ALLOWLIST


def active_allowlist() -> AllowList:
    return _active


def install_allowlist(allowlist: AllowList) -> AllowList:
    """Put ``allowlist`` in force (start-up, or the 危殆化 emergency); returns the previous one."""
    global _active
    previous, _active = _active, allowlist
    return previous


def withdraw(algorithm: str) -> AllowList:
    """Withdraw ``algorithm`` (危殆化) in this process at once; returns the new list in force.

    Persisting the decision (so every process and every restart sees it) is the caller's job:
    see :class:`keys.withdrawal.WithdrawalRegistry`.
    """
    updated = _active.withdraw(algorithm)
    install_allowlist(updated)
    return updated


def require(
    algorithm: str,
    *,
    key_bits: int | None = None,
    nonce_len: int | None = None,
    iterations: int | None = None,
    within: str | None = None,
    new_work: bool = True,
) -> AlgorithmSpec:
    """Check ``algorithm`` and its parameters against the list in force.

    ``new_work=False`` is for opening existing data (decrypt, unwrap, verify): it is still
    refused for algorithms that are not on the list at all, but allowed for WITHDRAWN ones.
    """
    return _active.require(
        algorithm, key_bits=key_bits, nonce_len=nonce_len, iterations=iterations,
        within=within, new_work=new_work,
    )


# The original name; both spellings are the same check.
require_allowed = require
