"""The allow-list API other recipes call (`require(name, **params)`), its one table, and the
structural guarantee that every algorithm used in keys/ goes through it (issue 5, item 1)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from core.errors import AlgorithmNotAllowed
from keys.allowlist import (
    DEFAULT_ALLOWLIST,
    PBKDF2_MIN_ITERATIONS,
    REFUSED,
    AlgorithmRefused,
    AlgorithmStatus,
    AlgorithmWithdrawn,
    require,
    require_allowed,
)

KEYS_DIR = Path(__file__).resolve().parents[2] / "keys"


# --- require(name, **params) ----------------------------------------------------------------


def test_refusals_carry_the_algorithm_and_a_reason() -> None:
    with pytest.raises(AlgorithmRefused) as err:
        require("RSA-OAEP-SHA-256", key_bits=2048)
    assert isinstance(err.value, AlgorithmNotAllowed)
    assert err.value.code == "algorithm_not_allowed"
    assert err.value.algorithm == "RSA-OAEP-SHA-256"
    assert "3072" in err.value.reason
    assert err.value.to_dict()["error"] == "algorithm_not_allowed"


def test_the_two_spellings_are_one_check() -> None:
    assert require is require_allowed


@pytest.mark.parametrize(("algorithm", "bits"), [
    ("RSA-OAEP-SHA-256", 3072), ("RSA-PSS-SHA-256", 4096), ("ECDSA-P256-SHA-256", 256),
    ("ECDSA-P384-SHA-384", 384), ("ECDH-P256", 256), ("ECDH-P521", 521),
])
def test_listed_asymmetric_sizes_pass(algorithm: str, bits: int) -> None:
    require(algorithm, key_bits=bits)


@pytest.mark.parametrize(("algorithm", "bits"), [
    ("RSA-OAEP-SHA-256", 2048), ("RSA-PSS-SHA-256", 1024), ("ECDSA-P256-SHA-256", 224),
    ("ECDH-P256", 192), ("AES-256-GCM", 128), ("CHACHA20-POLY1305", 128), ("HKDF-SHA-256", 128),
])
def test_short_keys_are_refused(algorithm: str, bits: int) -> None:
    with pytest.raises(AlgorithmRefused):
        require(algorithm, key_bits=bits)


def test_pbkdf2_needs_600000_iterations_stated() -> None:
    assert PBKDF2_MIN_ITERATIONS == 600_000
    require("PBKDF2-HMAC-SHA-256", iterations=600_000)
    with pytest.raises(AlgorithmRefused, match="600,000"):
        require("PBKDF2-HMAC-SHA-256", iterations=599_999)
    with pytest.raises(AlgorithmRefused, match="iterations"):
        require("PBKDF2-HMAC-SHA-256")  # fail closed: no work factor stated
    with pytest.raises(AlgorithmRefused, match="no iteration"):
        require("HKDF-SHA-256", iterations=10)
    with pytest.raises(AlgorithmRefused, match="monitored"):
        require("PBKDF2-HMAC-SHA-1", iterations=10**6)


def test_aes_cbc_only_inside_a_format_that_forces_it() -> None:
    require("AES-256-CBC", key_bits=256, nonce_len=16, within="PDF-R6")
    with pytest.raises(AlgorithmRefused, match="PDF-R6"):
        require("AES-256-CBC", key_bits=256)
    with pytest.raises(AlgorithmRefused):
        require("AES-256-CBC", within="ZIP")


@pytest.mark.parametrize("name", ["ZIP-AES", "zipcrypto", "AES-KW", "SHA-1", "X25519"])
def test_password_zip_and_friends_are_refused_with_the_reason(name: str) -> None:
    with pytest.raises(AlgorithmRefused) as err:
        require(name)
    assert err.value.reason == REFUSED[name.upper()]


def test_withdrawn_is_its_own_subclass() -> None:
    withdrawn = DEFAULT_ALLOWLIST.withdraw("SHA-256")
    with pytest.raises(AlgorithmWithdrawn):
        withdrawn.require("SHA-256")
    assert withdrawn.require("SHA-256", new_work=False).status is AlgorithmStatus.WITHDRAWN


# --- the one table --------------------------------------------------------------------------


def test_the_table_has_the_issue_5_floor() -> None:
    specs = {spec.algorithm: spec for spec in DEFAULT_ALLOWLIST.specs()}
    assert specs["AES-256-GCM"].key_bits == {256}
    assert specs["AES-256-GCM"].nonce_lengths == {12}
    assert specs["RSA-OAEP-SHA-256"].min_key_bits == 3072
    assert specs["RSA-PSS-SHA-256"].min_key_bits == 3072
    assert min(b for s in specs.values() if s.algorithm.startswith("EC") for b in s.key_bits) == 256
    assert {"HKDF-SHA-256", "SHA-256", "SHA-384", "SHA-512"} <= set(specs)
    assert not any(name.endswith(("SHA-1", "SHA-224")) for name in specs)
    assert all(spec.status is AlgorithmStatus.ALLOWED for spec in specs.values())


def test_nothing_refused_is_also_listed() -> None:
    assert not set(REFUSED) & {name.upper() for name in DEFAULT_ALLOWLIST.algorithms()}


# --- structural: every use in keys/ goes through the list -----------------------------------

_ID = re.compile(
    r"(AES|CHACHA|XCHACHA|HKDF|PBKDF2|HMAC|CMAC|SHA|SHA3|RSA|RSAES|ECDSA|ECDH|ED25519|ED448|"
    r"X25519|DSA|3DES|SCRYPT|ARGON2|RIPEMD)([-/][A-Z0-9/_-]*)?"
)


def algorithm_literals(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            value = node.value
            # Python names in __all__ (ECDSA_P256_SHA256) are not algorithm ids.
            if _ID.fullmatch(value) and not (value.isidentifier() and "_" in value):
                found.add(value)
    return found


@pytest.mark.parametrize("path", sorted(KEYS_DIR.rglob("*.py")),
                         ids=lambda p: p.relative_to(KEYS_DIR).as_posix())
def test_every_algorithm_id_written_in_keys_is_on_the_table_or_refused(path: Path) -> None:
    unknown = {
        value for value in algorithm_literals(path)
        if value not in DEFAULT_ALLOWLIST and value.upper() not in REFUSED
    }
    assert unknown == set(), f"{path.name} names algorithms the allow-list does not know"


CRYPTO_MODULES = {"cryptography", "pkcs11", "hashlib", "hmac"}


def imports_crypto(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        if any(name.split(".")[0] in CRYPTO_MODULES for name in names):
            return True
    return False


@pytest.mark.parametrize("path", sorted((KEYS_DIR / "primitives").glob("*.py")),
                         ids=lambda p: p.name)
def test_every_primitive_that_touches_crypto_asks_the_list(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    if imports_crypto(source):
        assert re.search(r"\brequire(_allowed)?\(", source), f"{path.name} never asks the list"


def test_only_primitives_import_crypto_libraries() -> None:
    outside = [p.relative_to(KEYS_DIR).as_posix() for p in KEYS_DIR.rglob("*.py")
               if "primitives" not in p.parts and imports_crypto(p.read_text(encoding="utf-8"))]
    assert outside == []
