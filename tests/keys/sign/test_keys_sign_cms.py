"""Detached CMS signatures: ours verify with openssl, openssl's verify with ours, and every
kind of tampering is caught by both."""

from __future__ import annotations

import pickle
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms

from core.errors import AlgorithmNotAllowed
from keys.allowlist import DEFAULT_ALLOWLIST, install_allowlist
from keys.capabilities import EXPORT_RAW_KEY, CapabilityRequired
from keys.sign import (
    SignatureInvalid,
    Signer,
    sign_detached,
    sign_file,
    sign_record,
    verify_detached,
    verify_detached_file,
)


def _openssl_verify(openssl: str, signature: Path, content: Path, cert: Path) -> int:
    return subprocess.run(
        [openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", str(signature),
         "-content", str(content), "-CAfile", str(cert), "-out", "/dev/null"],
        capture_output=True, check=False).returncode


def test_sign_and_verify(signer: Signer, document: Path) -> None:
    signature = sign_detached(document.read_bytes(), signer)
    verified = verify_detached(document.read_bytes(), signature, [signer.certificate_pem])
    assert verified.algorithm == signer.algorithm
    assert verified.certificate_sha256 == signer.certificate.sha256
    assert verified.signing_time is not None
    assert "sekisho" in verified.signer
    assert verify_detached_file(document, signature, [signer.certificate.der]) == verified


def test_openssl_verifies_our_signatures(tmp_path: Path, openssl_bin: str, signer: Signer,
                                         cert_file: Path, document: Path) -> None:
    signature = tmp_path / "record.json.sig"
    signature.write_bytes(sign_file(document, signer))
    assert _openssl_verify(openssl_bin, signature, document, cert_file) == 0
    document.write_bytes(document.read_bytes() + b" ")
    assert _openssl_verify(openssl_bin, signature, document, cert_file) != 0
    with pytest.raises(SignatureInvalid, match="digest differs"):
        verify_detached_file(document, signature.read_bytes(), [cert_file.read_bytes()])


def test_structure_and_algorithms(signer: Signer, document: Path) -> None:
    info = cms.ContentInfo.load(sign_detached(document.read_bytes(), signer), strict=True)
    signed = info["content"]
    assert signed["encap_content_info"]["content"].native is None  # detached
    signer_info = signed["signer_infos"][0]
    assert signer_info["digest_algorithm"]["algorithm"].native == "sha256"
    encoded = [a.dump() for a in signer_info["signed_attrs"]]
    assert encoded == sorted(encoded)  # DER SET OF order (X.690 11.6)
    attrs = {a["type"].native for a in signer_info["signed_attrs"]}
    assert {"content_type", "message_digest", "signing_time",
            "cms_algorithm_protection"} <= attrs
    expected = "sha256_ecdsa" if signer.algorithm.startswith("ECDSA") else "rsassa_pss"
    assert signer_info["signature_algorithm"]["algorithm"].native == expected
    assert len(signed["certificates"]) == 1


def test_untrusted_signer(document: Path, ec_signer: Signer, rsa_signer: Signer) -> None:
    signature = sign_detached(document.read_bytes(), ec_signer)
    with pytest.raises(SignatureInvalid, match="not one of the trusted"):
        verify_detached(document.read_bytes(), signature, [rsa_signer.certificate_pem])
    impostor = Signer.generate("signing-v1")  # same subject, different key and serial
    with pytest.raises(SignatureInvalid):
        verify_detached(document.read_bytes(), sign_detached(document.read_bytes(), impostor),
                        [ec_signer.certificate_pem])


def test_every_byte_of_the_signature_matters(signer: Signer, document: Path) -> None:
    data = document.read_bytes()
    signature = sign_detached(data, signer)
    certificate_start = signature.index(signer.certificate.der)
    certificate_end = certificate_start + len(signer.certificate.der)
    accepted = []
    for offset in range(len(signature)):
        if certificate_start <= offset < certificate_end:
            continue  # the embedded copy is informational: trust comes from the pinned one
        tampered = bytearray(signature)
        tampered[offset] ^= 0x01
        try:
            verify_detached(data, bytes(tampered), [signer.certificate_pem])
        except (SignatureInvalid, AlgorithmNotAllowed):
            continue
        accepted.append(offset)
    assert accepted == []


@pytest.mark.parametrize("garbage", [b"", b"\x30\x03\x02\x01", b"not a signature" * 10])
def test_malformed_signatures(garbage: bytes, ec_signer: Signer) -> None:
    with pytest.raises(SignatureInvalid) as info:
        verify_detached(b"data", garbage, [ec_signer.certificate_pem])
    assert info.value.code == "signature_invalid"
    with pytest.raises(SignatureInvalid, match="too large"):
        verify_detached(b"data", b"\x30" * (300 * 1024), [ec_signer.certificate_pem])


def _key_and_cert(tmp_path: Path, signer: Signer) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        load_der_private_key,
    )

    der = signer.signing_key().export_pkcs8_der(EXPORT_RAW_KEY)
    key = tmp_path / "key.pem"
    key.write_bytes(load_der_private_key(der, None).private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    cert = tmp_path / "cert.pem"
    cert.write_text(signer.certificate_pem)
    return key, cert


@pytest.mark.parametrize(("md", "keyopt", "accepted"), [
    ("sha256", [], True), ("sha1", [], False), ("sha512", [], False)])
def test_signatures_made_by_openssl(tmp_path: Path, openssl_bin: str, ec_signer: Signer,
                                    document: Path, md: str, keyopt: list[str],
                                    accepted: bool) -> None:
    key, cert = _key_and_cert(tmp_path, ec_signer)
    signature = tmp_path / "openssl.sig"
    subprocess.run([openssl_bin, "cms", "-sign", "-binary", "-outform", "DER", "-md", md,
                    "-in", str(document), "-signer", str(cert), "-inkey", str(key), *keyopt,
                    "-out", str(signature)], check=True, capture_output=True)
    if accepted:
        verify_detached_file(document, signature.read_bytes(), [cert.read_bytes()])
    else:
        with pytest.raises(AlgorithmNotAllowed):
            verify_detached_file(document, signature.read_bytes(), [cert.read_bytes()])


def test_openssl_rsa_signatures_pss_only(tmp_path: Path, openssl_bin: str, rsa_signer: Signer,
                                         document: Path) -> None:
    key, cert = _key_and_cert(tmp_path, rsa_signer)
    for keyopt, accepted in (([], False), (["-keyopt", "rsa_padding_mode:pss"], True)):
        signature = tmp_path / "openssl.sig"
        subprocess.run([openssl_bin, "cms", "-sign", "-binary", "-outform", "DER", "-md",
                        "sha256", "-in", str(document), "-signer", str(cert), "-inkey",
                        str(key), *keyopt, "-out", str(signature)],
                       check=True, capture_output=True)
        if accepted:
            verify_detached_file(document, signature.read_bytes(), [cert.read_bytes()])
        else:  # PKCS#1 v1.5 signatures are not on the list
            with pytest.raises(AlgorithmNotAllowed):
                verify_detached_file(document, signature.read_bytes(), [cert.read_bytes()])


def test_sign_record_is_the_detached_signature(ec_signer: Signer) -> None:
    record = b'{"erasure": 1}'
    verify_detached(record, sign_record(record, ec_signer), [ec_signer.certificate_pem])


def test_withdrawn_signature_algorithm(ec_signer: Signer, document: Path) -> None:
    signature = sign_detached(document.read_bytes(), ec_signer)
    install_allowlist(DEFAULT_ALLOWLIST.withdraw("ECDSA-P256-SHA-256"))
    with pytest.raises(AlgorithmNotAllowed):
        sign_detached(document.read_bytes(), ec_signer)
    verify_detached(document.read_bytes(), signature, [ec_signer.certificate_pem])  # old ones


def test_signer_hygiene(ec_signer: Signer) -> None:
    assert "signing-v1" in repr(ec_signer) and "PRIVATE" not in repr(ec_signer)
    with pytest.raises(TypeError):
        pickle.dumps(ec_signer)
    with pytest.raises(TypeError):
        pickle.dumps(ec_signer.signing_key())
    with pytest.raises(CapabilityRequired):
        ec_signer.signing_key().export_pkcs8_der(object())  # type: ignore[arg-type]
