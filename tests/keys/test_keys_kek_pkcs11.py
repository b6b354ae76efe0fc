"""PKCS#11 KEK provider against a real SoftHSM2 token the tests create (issue 5, item 3).

The KEK is generated on the token, sensitive and non-extractable; wrapping is CKM_AES_GCM on
the token with the key id as associated data, in the same blob format as the file provider.
"""

from __future__ import annotations

import copy
import json
import multiprocessing
import os
import pickle
from pathlib import Path

import pytest

from core.errors import ConfigurationError, DecryptionFailed, KeyUnavailable
from keys.handles import DataKey, new_data_key
from keys.kek import KekProvider
from keys.wrapped import WrappedKey
from tests.fixtures.softhsm import SoftHsm, SoftHsmToken, pkcs11_config

pkcs11 = pytest.importorskip("pkcs11", reason="python-pkcs11 (the sekisho[hsm] extra)")

from keys.kek_pkcs11 import Pkcs11Config, Pkcs11KekProvider  # noqa: E402

KEY_ID = "dek-hsm-0001"


def test_initialise_makes_a_non_extractable_kek_on_the_token(
    pkcs11_kek: Pkcs11KekProvider,
) -> None:
    assert pkcs11_kek.versions() == (1,)
    flags = pkcs11_kek.key_attributes(1)
    assert flags == {"sensitive": True, "extractable": False, "private": True, "token": True,
                     "never_extractable": True}
    pkcs11_kek.initialise()  # idempotent
    assert pkcs11_kek.versions() == (1,)


def test_the_token_refuses_to_reveal_the_kek(
    pkcs11_kek: Pkcs11KekProvider, softhsm_token: SoftHsmToken
) -> None:
    from pkcs11 import Attribute, ObjectClass

    pin = softhsm_token.pin_file.read_text().strip()
    lib = pkcs11.lib(softhsm_token.module)
    token = lib.get_token(token_label=softhsm_token.label)
    # This test's own session: the provider's shared session is logged in already.
    with token.open(rw=False) as session:
        (key,) = list(session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY,
                                           Attribute.LABEL: pkcs11_kek.label(1)}))
        with pytest.raises(pkcs11.exceptions.AttributeSensitive):
            key[Attribute.VALUE]
    assert pin  # the PIN came from the file the fixture wrote


def test_wrap_unwrap_round_trip(pkcs11_kek: Pkcs11KekProvider) -> None:
    dek = new_data_key()
    wrapped = pkcs11_kek.wrap(dek, KEY_ID)
    assert (wrapped.algorithm, wrapped.kek_version) == ("AES-256-GCM", 1)
    assert dek.secret_bytes() not in wrapped.to_bytes()
    again = WrappedKey.from_bytes(wrapped.to_bytes())
    assert pkcs11_kek.unwrap(again, KEY_ID).secret_bytes() == dek.secret_bytes()


def test_wrong_key_id_and_every_tampered_byte_fail(pkcs11_kek: Pkcs11KekProvider) -> None:
    blob = pkcs11_kek.wrap(new_data_key(), KEY_ID).to_bytes()
    with pytest.raises(DecryptionFailed):
        pkcs11_kek.unwrap(WrappedKey.from_bytes(blob), "dek-hsm-0002")
    version_at = 6 + len("AES-256-GCM")
    for position in range(len(blob)):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        expected = KeyUnavailable if version_at <= position < version_at + 4 else DecryptionFailed
        with pytest.raises(expected):
            pkcs11_kek.unwrap(WrappedKey.from_bytes(bytes(tampered)), KEY_ID)


def test_the_token_computes_standard_aes_gcm(
    softhsm_token: SoftHsmToken, tmp_path: Path
) -> None:
    """Known answer: import a KNOWN key under a KEK label (tests only), let the provider wrap,
    and open the blob with pyca AES-GCM and aad = blob header || key id."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from pkcs11 import Attribute, KeyType, ObjectClass

    known = bytes(range(0x80, 0xA0))
    config = pkcs11_config(softhsm_token)
    provider = Pkcs11KekProvider(config)
    lib = pkcs11.lib(softhsm_token.module)
    with lib.get_token(token_label=softhsm_token.label).open(rw=True) as session:
        session.create_object({
            Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.KEY_TYPE: KeyType.AES,
            Attribute.VALUE: known, Attribute.LABEL: provider.label(1), Attribute.TOKEN: True,
            Attribute.PRIVATE: True, Attribute.ENCRYPT: True, Attribute.DECRYPT: True,
        })
    dek = bytes(range(32))
    wrapped = provider.wrap(DataKey(dek), KEY_ID)
    aad = wrapped.header() + KEY_ID.encode()
    assert AESGCM(known).decrypt(wrapped.nonce, wrapped.ciphertext, aad) == dek
    made_here = AESGCM(known).encrypt(b"\x01" * 12, dek, aad)
    mine = WrappedKey("AES-256-GCM", 1, b"\x01" * 12, made_here)
    assert provider.unwrap(mine, KEY_ID).secret_bytes() == dek


def test_a_file_wrapped_blob_does_not_open_on_the_token(
    pkcs11_kek: Pkcs11KekProvider, kek: KekProvider
) -> None:
    wrapped = kek.wrap(new_data_key(), KEY_ID)
    with pytest.raises(DecryptionFailed):
        pkcs11_kek.unwrap(wrapped, KEY_ID)


def test_destroyed_version_object_is_gone_from_the_token(pkcs11_kek: Pkcs11KekProvider) -> None:
    old = pkcs11_kek.wrap(new_data_key(), KEY_ID)
    assert pkcs11_kek.create_version() == 2
    pkcs11_kek.destroy_version(1)
    assert pkcs11_kek.versions() == (2,)
    with pytest.raises(KeyUnavailable):
        pkcs11_kek.unwrap(old, KEY_ID)
    # A second provider (another process's view) sees the same.
    other = Pkcs11KekProvider(pkcs11_kek._config)
    assert other.versions() == (2,)


def test_providers_with_different_prefixes_do_not_see_each_other(
    softhsm_token: SoftHsmToken,
) -> None:
    first = Pkcs11KekProvider(pkcs11_config(softhsm_token))
    second = Pkcs11KekProvider(pkcs11_config(softhsm_token))
    first.initialise()
    assert second.versions() == ()
    with pytest.raises(KeyUnavailable):
        second.wrap(new_data_key(), KEY_ID)


def test_a_wrong_pin_is_a_configuration_error(
    softhsm: SoftHsm, tmp_path: Path
) -> None:
    token = softhsm.create_token("sekisho-wrong-pin")
    bad = tmp_path / "bad.pin"
    bad.write_text("not-the-pin\n")
    bad.chmod(0o600)
    config = Pkcs11Config(Path(token.module), token.label, bad, "x-")
    with pytest.raises(ConfigurationError, match="refused the PIN"):
        Pkcs11KekProvider(config).versions()


def test_a_pin_file_readable_by_others_is_refused(
    softhsm_token: SoftHsmToken, tmp_path: Path
) -> None:
    loose = tmp_path / "loose.pin"
    loose.write_text(softhsm_token.pin_file.read_text())
    loose.chmod(0o644)
    config = Pkcs11Config(Path(softhsm_token.module), softhsm_token.label, loose, "x-")
    with pytest.raises(ConfigurationError, match="group/others"):
        Pkcs11KekProvider(config)


def test_a_missing_token_is_key_unavailable(softhsm_token: SoftHsmToken) -> None:
    config = Pkcs11Config(Path(softhsm_token.module), "no-such-token", softhsm_token.pin_file)
    with pytest.raises(KeyUnavailable, match="no-such-token"):
        Pkcs11KekProvider(config).versions()


def test_a_bad_module_path_is_a_configuration_error(softhsm_token: SoftHsmToken) -> None:
    config = Pkcs11Config(Path("/nonexistent/libnothing.so"), "t", softhsm_token.pin_file)
    with pytest.raises(ConfigurationError, match="PKCS#11 module"):
        Pkcs11KekProvider(config).versions()


def _wrap_in_child(config: Pkcs11Config, queue: multiprocessing.Queue[bytes]) -> None:
    provider = Pkcs11KekProvider(config)
    queue.put(provider.wrap(DataKey(bytes(32)), KEY_ID).to_bytes())


def test_a_forked_worker_uses_the_token_and_the_parent_still_can(
    pkcs11_kek: Pkcs11KekProvider,
) -> None:
    """Celery prefork: the child must re-initialise PKCS#11, not reuse the parent's session."""
    pkcs11_kek.wrap(new_data_key(), KEY_ID)  # the parent's session exists before the fork
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[bytes] = context.Queue()
    child = context.Process(target=_wrap_in_child, args=(pkcs11_kek._config, queue))
    child.start()
    blob = queue.get(timeout=60)
    child.join(60)
    assert child.exitcode == 0
    assert pkcs11_kek.unwrap(WrappedKey.from_bytes(blob), KEY_ID).secret_bytes() == bytes(32)


def test_provider_satisfies_the_protocol_and_stays_opaque(pkcs11_kek: Pkcs11KekProvider) -> None:
    assert isinstance(pkcs11_kek, KekProvider)
    pin = pkcs11_kek._config.pin_file.read_text().strip()
    assert pin not in repr(pkcs11_kek) and pin not in str(pkcs11_kek)
    for attempt in (pickle.dumps, copy.copy, copy.deepcopy, json.dumps):
        with pytest.raises(TypeError):
            attempt(pkcs11_kek)
    with pytest.raises(TypeError):
        pickle.dumps(pkcs11_kek._token)


def test_residue_paths_are_the_token_directory(
    pkcs11_kek: Pkcs11KekProvider, softhsm_token: SoftHsmToken
) -> None:
    assert pkcs11_kek.residue_paths() == (softhsm_token.token_dir,)
    assert any(softhsm_token.token_dir.rglob("*.object"))


# --- configuration from the environment -----------------------------------------------------


def test_config_from_env(softhsm_token: SoftHsmToken) -> None:
    env = {
        "SEKISHO_PKCS11_MODULE": softhsm_token.module,
        "SEKISHO_PKCS11_TOKEN": softhsm_token.label,
        "SEKISHO_PKCS11_PIN_FILE": str(softhsm_token.pin_file),
        "SOFTHSM2_CONF": os.environ["SOFTHSM2_CONF"],
    }
    config = Pkcs11Config.from_env(env)
    assert config is not None
    assert (config.token_label, config.key_prefix) == (softhsm_token.label, "sekisho-")
    assert config.token_dir == softhsm_token.token_dir  # read from the SoftHSM2 configuration
    assert Pkcs11Config.from_env({}) is None
    with pytest.raises(ConfigurationError, match="SEKISHO_PKCS11_PIN_FILE"):
        Pkcs11Config.from_env({"SEKISHO_PKCS11_MODULE": "x", "SEKISHO_PKCS11_TOKEN": "t"})
    with pytest.raises(ConfigurationError):
        Pkcs11Config.from_env({**env, "SEKISHO_PKCS11_KEY_PREFIX": "bad prefix!"})
