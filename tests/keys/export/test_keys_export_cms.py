"""CMS AuthEnvelopedData exports, opened by the real ``openssl cms -decrypt`` (OpenSSL 3)."""

from __future__ import annotations

import email
import email.policy
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms

from core.errors import AlgorithmNotAllowed, InvalidRequest
from keys.allowlist import DEFAULT_ALLOWLIST, install_allowlist
from keys.export import export_cms_file, load_recipient
from keys.export.mime import Base64Lines, base64_lines_length

INFORM = {"der": "DER", "pem": "PEM", "smime": "SMIME"}


def _decrypt(openssl: str, package: Path, pair, encoding: str, out: Path
             ) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [openssl, "cms", "-decrypt", "-inform", INFORM[encoding], "-in", str(package),
         "-recip", str(pair.cert_pem), "-inkey", str(pair.key_pem), "-out", str(out)],
        capture_output=True, check=False)


@pytest.mark.parametrize("size", [0, 1, 57, 100_000])
@pytest.mark.parametrize("encoding", ["der", "pem"])
def test_openssl_decrypts_der_and_pem(tmp_path: Path, openssl_bin: str, rsa_recipient,
                                      encoding: str, size: int) -> None:
    source = tmp_path / "in.bin"
    source.write_bytes(bytes(i % 253 for i in range(size)))
    package = tmp_path / f"out.{encoding}"
    info = export_cms_file(source, package, load_recipient(rsa_recipient.cert_pem),
                           encoding=encoding)
    assert info.key_transport == "RSA-OAEP-SHA-256" and info.content_encryption == "AES-256-GCM"
    result = _decrypt(openssl_bin, package, rsa_recipient, encoding, tmp_path / "plain")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "plain").read_bytes() == source.read_bytes()


def test_smime_message_opens_to_the_attachment(tmp_path: Path, openssl_bin: str,
                                               rsa_recipient) -> None:
    source = tmp_path / "契約書 v2.bin"
    source.write_bytes(bytes(range(256)) * 300 + b"tail")
    package = tmp_path / "smime.eml"
    export_cms_file(source, package, load_recipient(rsa_recipient.cert_pem), encoding="smime")
    outer = email.message_from_bytes(package.read_bytes(), policy=email.policy.default)
    assert outer.get_content_type() == "application/pkcs7-mime"
    assert outer.get_param("smime-type") == "authEnveloped-data"
    result = _decrypt(openssl_bin, package, rsa_recipient, "smime", tmp_path / "inner.eml")
    assert result.returncode == 0, result.stderr
    inner = email.message_from_bytes((tmp_path / "inner.eml").read_bytes(),
                                     policy=email.policy.default)
    assert inner.get_filename() == "契約書 v2.bin"  # RFC 2231 for the Japanese name
    assert inner.get_payload(decode=True) == source.read_bytes()


def test_structure_names_oaep_sha256_and_gcm(tmp_path: Path, rsa_recipient, sample: Path) -> None:
    package = tmp_path / "out.der"
    export_cms_file(sample, package, load_recipient(rsa_recipient.cert_pem))
    info = cms.ContentInfo.load(package.read_bytes(), strict=True)
    assert info["content_type"].native == "authenticated_enveloped_data"
    aed = info["content"]
    ktri = aed["recipient_infos"][0].chosen
    algorithm = ktri["key_encryption_algorithm"]
    assert algorithm["algorithm"].native == "rsaes_oaep"
    assert algorithm["parameters"]["hash_algorithm"]["algorithm"].native == "sha256"
    assert algorithm["parameters"]["mask_gen_algorithm"]["parameters"]["algorithm"].native == \
        "sha256"
    assert len(ktri["encrypted_key"].native) == 384  # RSA-3072
    content = aed["auth_encrypted_content_info"]
    assert content["content_encryption_algorithm"]["algorithm"].native == "aes256_gcm"
    params = content["content_encryption_algorithm"]["parameters"].parsed
    assert len(params[0].native) == 12 and params[1].native == 16  # nonce, ICV length
    assert len(content["encrypted_content"].native) == sample.stat().st_size
    assert len(aed["mac"].native) == 16
    assert sample.read_bytes()[:32] not in package.read_bytes()


@pytest.mark.parametrize("where", ["ciphertext", "mac", "encrypted_key"])
def test_openssl_rejects_a_tampered_package(tmp_path: Path, openssl_bin: str, rsa_recipient,
                                            sample: Path, where: str) -> None:
    package = tmp_path / "out.der"
    export_cms_file(sample, package, load_recipient(rsa_recipient.cert_pem))
    data = bytearray(package.read_bytes())
    aed = cms.ContentInfo.load(bytes(data))["content"]
    offsets = {"ciphertext": len(data) - 18 - 1000, "mac": len(data) - 3,
               "encrypted_key": bytes(data).index(aed["recipient_infos"][0].chosen[
                   "encrypted_key"].native) + 10}
    data[offsets[where]] ^= 0x01
    package.write_bytes(bytes(data))
    assert _decrypt(openssl_bin, package, rsa_recipient, "der", tmp_path / "p").returncode != 0


def test_openssl_with_the_wrong_key_fails(tmp_path: Path, openssl_bin: str, rsa_recipient,
                                          other_rsa_recipient, sample: Path) -> None:
    package = tmp_path / "out.der"
    export_cms_file(sample, package, load_recipient(rsa_recipient.cert_pem))
    result = _decrypt(openssl_bin, package, other_rsa_recipient, "der", tmp_path / "p")
    assert result.returncode != 0


def test_ec_and_bare_key_recipients_are_refused(tmp_path: Path, ec_recipient, rsa_recipient,
                                                sample: Path) -> None:
    with pytest.raises(AlgorithmNotAllowed, match="SHA-1 KDF and AES-KW"):
        export_cms_file(sample, tmp_path / "o", load_recipient(ec_recipient.cert_pem))
    with pytest.raises(InvalidRequest, match="certificate"):
        export_cms_file(sample, tmp_path / "o", load_recipient(rsa_recipient.public_pem))
    assert list(tmp_path.iterdir()) == [sample]  # nothing half-written


def test_withdrawn_gcm_refuses_new_cms(tmp_path: Path, rsa_recipient, sample: Path) -> None:
    install_allowlist(DEFAULT_ALLOWLIST.withdraw("AES-256-GCM"))
    with pytest.raises(AlgorithmNotAllowed):
        export_cms_file(sample, tmp_path / "o", load_recipient(rsa_recipient.cert_pem))
    install_allowlist(DEFAULT_ALLOWLIST.withdraw("RSA-OAEP-SHA-256"))
    with pytest.raises(AlgorithmNotAllowed):
        export_cms_file(sample, tmp_path / "o", load_recipient(rsa_recipient.cert_pem))
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("size", [0, 1, 2, 3, 56, 57, 58, 1000])
def test_base64_lines_length_matches_what_is_written(size: int) -> None:
    import io

    sink = io.BytesIO()
    writer = Base64Lines(sink, line_chars=76, newline=b"\r\n")
    for i in range(size):
        writer.write(bytes((i % 256,)))
    writer.close()
    assert len(sink.getvalue()) == base64_lines_length(size, line_chars=76, newline_len=2)
    assert all(len(line) <= 76 for line in sink.getvalue().split(b"\r\n"))
