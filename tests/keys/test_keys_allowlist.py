"""The CRYPTREC allow-list (Saitama 第6 1(5)ア(ウ)(エ), Chiba 10.1(16)イ) and 危殆化 (ア(オ))."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from core.errors import AlgorithmNotAllowed
from keys.allowlist import (
    DEFAULT_ALLOWLIST,
    AlgorithmStatus,
    AlgorithmWithdrawn,
    AllowList,
    active_allowlist,
    install_allowlist,
    require_allowed,
)
from keys.handles import DataKey, new_data_key
from keys.kek_file import FileKekProvider
from keys.objects import new_object_key
from keys.primitives.aead import Aes256Gcm, aes256gcm_decrypt, aes256gcm_encrypt
from keys.primitives.kdf import hkdf_sha256
from keys.primitives.mac import hmac_sha256, sha256
from keys.sealed import SealedWriter, decrypt_all, read_header
from keys.sealed_format import SealedSuite
from keys.wrapped import WrappedKey

KEY = bytes(32)
NONCE = bytes(12)


def test_aes_256_gcm_with_a_96_bit_nonce_is_allowed() -> None:
    spec = require_allowed("AES-256-GCM", key_bits=256, nonce_len=12)
    assert spec.algorithm == "AES-256-GCM"
    assert spec.status is AlgorithmStatus.ALLOWED


def test_aes_128_key_is_refused_naming_the_size() -> None:
    with pytest.raises(AlgorithmNotAllowed, match="128-bit") as err:
        require_allowed("AES-256-GCM", key_bits=128)
    assert err.value.code == "algorithm_not_allowed"


def test_aes_128_gcm_by_name_is_refused_with_the_reason() -> None:
    with pytest.raises(AlgorithmNotAllowed, match="AES-256"):
        require_allowed("AES-128-GCM")


def test_16_byte_gcm_nonce_is_refused() -> None:
    with pytest.raises(AlgorithmNotAllowed, match="16-byte nonce"):
        require_allowed("AES-256-GCM", nonce_len=16)


def test_unknown_algorithm_is_refused() -> None:
    with pytest.raises(AlgorithmNotAllowed, match="not on the allow-list"):
        require_allowed("ROT13")


@pytest.mark.parametrize(
    ("algorithm", "reason"),
    [("AES-KW", "CRYPTREC"), ("SHA-1", "monitored"), ("X25519", "CRYPTREC"),
     ("aes-kwp", "CRYPTREC"), ("RSAES-PKCS1-V1_5", "monitored"), ("SCRYPT", "unlisted")],
)
def test_known_refused_algorithms_say_why(algorithm: str, reason: str) -> None:
    with pytest.raises(AlgorithmNotAllowed, match=reason):
        require_allowed(algorithm)


def test_ids_are_case_sensitive() -> None:
    with pytest.raises(AlgorithmNotAllowed):
        require_allowed("aes-256-gcm")


def test_rsa_needs_3072_bits() -> None:
    with pytest.raises(AlgorithmNotAllowed, match="at least 3072"):
        require_allowed("RSA-OAEP-SHA-256", key_bits=2048)
    require_allowed("RSA-OAEP-SHA-256", key_bits=4096)


def test_hash_takes_no_key_and_no_nonce() -> None:
    require_allowed("SHA-256")
    with pytest.raises(AlgorithmNotAllowed, match="takes no key"):
        require_allowed("SHA-256", key_bits=256)
    with pytest.raises(AlgorithmNotAllowed, match="nonce"):
        require_allowed("SHA-256", nonce_len=12)


def test_withdrawn_algorithm_refuses_new_work_but_opens_existing_data() -> None:
    withdrawn = DEFAULT_ALLOWLIST.withdraw("AES-256-GCM")
    assert withdrawn.withdrawn() == {"AES-256-GCM"}
    with pytest.raises(AlgorithmNotAllowed, match="危殆化"):
        withdrawn.require("AES-256-GCM", key_bits=256)
    withdrawn.require("AES-256-GCM", key_bits=256, new_work=False)
    # The default list itself is immutable.
    assert DEFAULT_ALLOWLIST.withdrawn() == frozenset()


def test_restricted_list_refuses_what_the_organisation_did_not_designate() -> None:
    narrow = DEFAULT_ALLOWLIST.restricted_to(["AES-256-GCM", "HKDF-SHA-256"])
    assert narrow.algorithms() == ("AES-256-GCM", "HKDF-SHA-256")
    with pytest.raises(AlgorithmNotAllowed):
        narrow.require("CHACHA20-POLY1305")


def test_install_returns_the_previous_list() -> None:
    empty = AllowList([])
    assert install_allowlist(empty) is DEFAULT_ALLOWLIST
    assert active_allowlist() is empty


# --- every primitive asks the list in force ------------------------------------------------


def test_primitives_refuse_everything_under_an_empty_list() -> None:
    sealed = Aes256Gcm(KEY).encrypt(NONCE, b"x")
    install_allowlist(AllowList([]))
    calls: list[Callable[[], object]] = [
        lambda: Aes256Gcm(KEY),
        lambda: aes256gcm_encrypt(KEY, NONCE, b"x", None),
        lambda: aes256gcm_decrypt(KEY, NONCE, sealed, None),
        lambda: hkdf_sha256(KEY, salt=b"", info=b""),
        lambda: hmac_sha256(KEY, b"x"),
        lambda: sha256(b"x"),
        lambda: new_data_key(),
    ]
    for call in calls:
        with pytest.raises(AlgorithmNotAllowed):
            call()


def test_primitives_check_key_and_nonce_sizes() -> None:
    with pytest.raises(AlgorithmNotAllowed):
        Aes256Gcm(bytes(16))
    with pytest.raises(AlgorithmNotAllowed):
        Aes256Gcm(KEY).encrypt(bytes(16), b"x")
    with pytest.raises(AlgorithmNotAllowed):
        hkdf_sha256(bytes(16), salt=b"", info=b"")
    with pytest.raises(AlgorithmNotAllowed):
        hmac_sha256(bytes(16), b"x")
    with pytest.raises(AlgorithmNotAllowed):
        DataKey(bytes(16))


def test_withdrawing_aes_gcm_moves_new_work_and_old_objects_still_open(
    kek: FileKekProvider,
) -> None:
    data_key = new_data_key()
    sink = io.BytesIO()
    with SealedWriter(sink, data_key, "dek-old") as writer:
        writer.write(b"existing object")
    install_allowlist(DEFAULT_ALLOWLIST.withdraw("AES-256-GCM"))
    # AES-256-GCM itself is refused for new work...
    with pytest.raises(AlgorithmWithdrawn):
        SealedWriter(io.BytesIO(), data_key, "dek-new", suite=SealedSuite("AES-256-GCM"))
    # ...so new objects go to the next listed AEAD, named in their headers and wraps.
    new = new_object_key(kek)
    assert WrappedKey.from_bytes(new.wrapped).algorithm == "CHACHA20-POLY1305"
    fresh = io.BytesIO()
    with SealedWriter(fresh, new.data_key, new.key_id) as writer:
        writer.write(b"new object")
    assert read_header(io.BytesIO(fresh.getvalue())).algorithm == "CHACHA20-POLY1305"
    # The emergency procedure must still read old objects to re-encrypt them.
    assert decrypt_all(io.BytesIO(sink.getvalue()), data_key) == b"existing object"


def test_withdrawing_every_aead_stops_new_objects(kek: FileKekProvider) -> None:
    install_allowlist(DEFAULT_ALLOWLIST.withdraw("AES-256-GCM", "CHACHA20-POLY1305"))
    with pytest.raises(AlgorithmNotAllowed):
        new_object_key(kek)
    with pytest.raises(AlgorithmNotAllowed):
        SealedWriter(io.BytesIO(), new_data_key(), "dek-new")
