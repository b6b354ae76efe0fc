"""The thin primitives against published vectors, and their opaque failure."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.errors import AlgorithmNotAllowed, DecryptionFailed
from keys.primitives.aead import Aes256Gcm
from keys.primitives.kdf import hkdf_sha256
from keys.primitives.mac import equal_constant_time, hmac_sha256, sha256
from keys.primitives.randomness import random_bytes, random_hex

# McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256, 96-bit IV).
GCM_KEY = bytes.fromhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
GCM_IV = bytes.fromhex("cafebabefacedbaddecaf888")
GCM_AAD = bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
GCM_PT = bytes.fromhex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
)
GCM_CT = bytes.fromhex(
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
)
GCM_TAG = bytes.fromhex("76fc6ece0f4e1768cddf8853bb2d551b")


def test_aes_256_gcm_known_answer() -> None:
    aead = Aes256Gcm(GCM_KEY)
    assert aead.encrypt(GCM_IV, GCM_PT, GCM_AAD) == GCM_CT + GCM_TAG
    assert aead.decrypt(GCM_IV, GCM_CT + GCM_TAG, GCM_AAD) == GCM_PT


@pytest.mark.parametrize(
    "mutate",
    [
        lambda ct, aad: (ct[:-1] + bytes([ct[-1] ^ 1]), aad),  # tag
        lambda ct, aad: (bytes([ct[0] ^ 0x80]) + ct[1:], aad),  # ciphertext
        lambda ct, aad: (ct, aad + b"x"),  # associated data
        lambda ct, aad: (ct[:15], aad),  # shorter than a tag
        lambda ct, aad: (b"", aad),
    ],
)
def test_any_change_is_one_opaque_error(
    mutate: Callable[[bytes, bytes], tuple[bytes, bytes]],
) -> None:
    ciphertext, aad = mutate(GCM_CT + GCM_TAG, GCM_AAD)
    with pytest.raises(DecryptionFailed) as err:
        Aes256Gcm(GCM_KEY).decrypt(GCM_IV, ciphertext, aad)
    assert err.value.code == "decryption_failed"
    assert str(err.value) == "the object could not be decrypted"
    # No library exception is chained onto it for a traceback to reveal.
    assert err.value.__cause__ is None
    assert err.value.__context__ is None or err.value.__suppress_context__


def test_wrong_key_is_the_same_opaque_error() -> None:
    with pytest.raises(DecryptionFailed):
        Aes256Gcm(bytes(32)).decrypt(GCM_IV, GCM_CT + GCM_TAG, GCM_AAD)


def test_hkdf_sha256_rfc5869_case_2() -> None:
    okm = hkdf_sha256(
        bytes(range(0x00, 0x50)),
        salt=bytes(range(0x60, 0xB0)),
        info=bytes(range(0xB0, 0x100)),
        length=82,
    )
    assert okm.hex() == (
        "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
        "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
        "cc30c58179ec3e87c14c01d5c1f3434f1d87"
    )


def test_hkdf_refuses_input_key_material_below_256_bits() -> None:
    # RFC 5869 case 1 uses a 22-byte IKM: weaker than the AES-256 keys we derive.
    with pytest.raises(AlgorithmNotAllowed):
        hkdf_sha256(bytes(22), salt=b"", info=b"")


def test_hmac_sha256_rfc4231_case_6() -> None:
    data = b"Test Using Larger Than Block-Size Key - Hash Key First"
    assert hmac_sha256(b"\xaa" * 131, data).hex() == (
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    )


def test_sha256_known_answer() -> None:
    assert sha256(b"abc").hex() == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_constant_time_compare() -> None:
    assert equal_constant_time(b"abc", b"abc")
    assert not equal_constant_time(b"abc", b"abd")


def test_random_bytes() -> None:
    assert len(random_bytes(32)) == 32
    assert random_bytes(32) != random_bytes(32)
    assert len(random_hex(16)) == 32
    with pytest.raises(ValueError):
        random_bytes(0)
