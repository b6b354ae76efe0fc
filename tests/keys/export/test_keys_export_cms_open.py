"""``sekisho open`` on CMS exports: ours in every encoding, and OpenSSL's own CMS files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from core.errors import AlgorithmNotAllowed, DecryptionFailed, InvalidRequest
from keys.export import export_cms_file, load_private_key, load_recipient, open_export
from keys.export.cms_open import READ_CHUNK, looks_like_cms
from service.crypto_cli import main


def _payload(size: int) -> bytes:
    return bytes((i * 31 + i // 257) % 256 for i in range(size))


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


@pytest.mark.parametrize("size", [0, 1, 4095, READ_CHUNK * 2 + 3])
@pytest.mark.parametrize("encoding", ["der", "pem", "smime"])
def test_our_cms_exports_open_in_every_encoding(tmp_path: Path, rsa_recipient, encoding: str,
                                                size: int) -> None:
    source = tmp_path / "見積書.bin"
    source.write_bytes(_payload(size))
    package = tmp_path / "out.p7m"
    export_cms_file(source, package, load_recipient(rsa_recipient.cert_pem), encoding=encoding)
    assert looks_like_cms(package.read_bytes()[:512])
    opened, written = open_export(package, tmp_path / "plain",
                                  private_key=load_private_key(rsa_recipient.key_pem))
    assert opened == "cms" and written == size
    assert (tmp_path / "plain").read_bytes() == source.read_bytes()


def test_cms_made_by_openssl_opens(tmp_path: Path, openssl_bin: str, rsa_recipient) -> None:
    """Interoperability the other way round: OpenSSL's AuthEnvelopedData with OAEP-SHA-256."""
    source = tmp_path / "plain.txt"
    source.write_bytes("機密性２ 取扱注意\n".encode() * 5000)
    package = tmp_path / "openssl.der"
    subprocess.run([openssl_bin, "cms", "-encrypt", "-binary", "-aes-256-gcm", "-outform", "DER",
                    "-in", str(source), "-out", str(package), "-recip", str(rsa_recipient.cert_pem),
                    "-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256",
                    "-keyopt", "rsa_mgf1_md:sha256"], check=True, capture_output=True)
    open_export(package, tmp_path / "out", private_key=load_private_key(rsa_recipient.key_pem))
    assert (tmp_path / "out").read_bytes() == source.read_bytes()


def test_openssl_pkcs1v15_or_oaep_sha1_is_refused(tmp_path: Path, openssl_bin: str,
                                                  rsa_recipient) -> None:
    source = tmp_path / "plain.txt"
    source.write_bytes(b"x" * 100)
    key = load_private_key(rsa_recipient.key_pem)
    for name, keyopts in (("v15", []), ("sha1", ["-keyopt", "rsa_padding_mode:oaep"])):
        package = tmp_path / f"{name}.der"
        subprocess.run([openssl_bin, "cms", "-encrypt", "-binary", "-aes-256-gcm", "-outform",
                        "DER", "-in", str(source), "-out", str(package),
                        "-recip", str(rsa_recipient.cert_pem), *keyopts],
                       check=True, capture_output=True)
        with pytest.raises(AlgorithmNotAllowed):
            open_export(package, tmp_path / "out", private_key=key)
        assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("damage", ["flip-content", "flip-tag", "truncate", "wrong-key"])
def test_damage_or_wrong_key_is_opaque_and_writes_nothing(
    tmp_path: Path, rsa_recipient, other_rsa_recipient, damage: str,
) -> None:
    source = tmp_path / "in.bin"
    source.write_bytes(_payload(300_000))
    package = tmp_path / "out.p7m"
    export_cms_file(source, package, load_recipient(rsa_recipient.cert_pem))
    data = bytearray(package.read_bytes())
    key = load_private_key(rsa_recipient.key_pem)
    if damage == "flip-content":
        data[len(data) // 2] ^= 0x01
    elif damage == "flip-tag":
        data[-1] ^= 0x80
    elif damage == "truncate":
        del data[-1000:]
    else:
        key = load_private_key(other_rsa_recipient.key_pem)
    package.write_bytes(bytes(data))
    with pytest.raises(DecryptionFailed):
        open_export(package, tmp_path / "plain", private_key=key)
    assert not (tmp_path / "plain").exists()
    assert _leftovers(tmp_path) == []


def test_pdf_and_keyless_cms_get_clear_errors(tmp_path: Path, rsa_recipient,
                                              sample_pdf: Path) -> None:
    with pytest.raises(InvalidRequest, match="PDF reader"):
        open_export(sample_pdf, tmp_path / "out", password="x" * 20)
    package = tmp_path / "out.p7m"
    export_cms_file(sample_pdf, package, load_recipient(rsa_recipient.cert_pem))
    with pytest.raises(InvalidRequest, match="--key"):
        open_export(package, tmp_path / "out", password="x" * 20)
    assert not (tmp_path / "out").exists()


def test_sekisho_open_cli_opens_cms(tmp_path: Path, rsa_recipient, sample: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    package = tmp_path / "out.p7m"
    export_cms_file(sample, package, load_recipient(rsa_recipient.cert_pem), encoding="smime")
    code = main(["open", str(package), "-o", str(tmp_path / "plain"),
                 "--key", str(rsa_recipient.key_pem), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["format"] == "cms" and out["bytes"] == sample.stat().st_size
    assert (tmp_path / "plain").read_bytes() == sample.read_bytes()
