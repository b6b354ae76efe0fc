"""PDF AES-256 (R6) exports, opened by the real qpdf; the password never inside the file."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import pikepdf
import pytest

from core.errors import AlgorithmNotAllowed, CorruptFile, EncryptedContent
from keys.allowlist import DEFAULT_ALLOWLIST, install_allowlist
from keys.export import WeakPassword, export_pdf_file
from keys.export.passwords import ALPHABET


def _qpdf(qpdf: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([qpdf, *args], capture_output=True, text=True, check=False)


def test_qpdf_opens_it_with_the_generated_password_only(tmp_path: Path, qpdf_bin: str,
                                                        sample_pdf: Path) -> None:
    out = tmp_path / "export.pdf"
    info = export_pdf_file(sample_pdf, out)
    assert info.password_generated and len(info.password) == 24
    assert info.password not in repr(info)
    shown = _qpdf(qpdf_bin, f"--password={info.password}", "--show-encryption", str(out))
    assert shown.returncode == 0, shown.stderr
    assert "R = 6" in shown.stdout and "AESv3" in shown.stdout
    decrypted = tmp_path / "plain.pdf"
    result = _qpdf(qpdf_bin, f"--password={info.password}", "--decrypt", str(out), str(decrypted))
    assert result.returncode == 0, result.stderr
    with pikepdf.open(decrypted) as pdf:
        assert len(pdf.pages) == 3 and not pdf.is_encrypted
    assert _qpdf(qpdf_bin, "--decrypt", str(out), str(tmp_path / "x.pdf")).returncode != 0
    wrong = _qpdf(qpdf_bin, "--password=not-it", "--decrypt", str(out), str(tmp_path / "y.pdf"))
    assert wrong.returncode != 0


def test_the_password_is_not_in_the_package(tmp_path: Path, sample_pdf: Path) -> None:
    out = tmp_path / "export.pdf"
    info = export_pdf_file(sample_pdf, out)
    data = out.read_bytes()
    assert info.password.encode() not in data
    assert info.password.encode("utf-16-be") not in data
    assert b"export test" not in data  # the title is encrypted too (metadata=True)


def test_generated_passwords_are_strong_and_fresh(tmp_path: Path, sample_pdf: Path) -> None:
    passwords = {export_pdf_file(sample_pdf, tmp_path / f"{i}.pdf").password for i in range(3)}
    assert len(passwords) == 3
    assert 24 * math.log2(len(set(ALPHABET))) >= 128
    assert all(set(p) <= set(ALPHABET) for p in passwords)


def test_a_supplied_password_is_used_and_not_echoed(tmp_path: Path, qpdf_bin: str,
                                                    sample_pdf: Path) -> None:
    password = "horse battery staple correct 42"
    info = export_pdf_file(sample_pdf, tmp_path / "e.pdf", password=password)
    assert not info.password_generated
    result = _qpdf(qpdf_bin, f"--password={password}", "--check", str(tmp_path / "e.pdf"))
    assert result.returncode == 0, result.stderr
    with pytest.raises(WeakPassword):
        export_pdf_file(sample_pdf, tmp_path / "w.pdf", password="short")
    assert not (tmp_path / "w.pdf").exists()


def test_bad_inputs(tmp_path: Path, sample_pdf: Path) -> None:
    not_pdf = tmp_path / "not.pdf"
    not_pdf.write_bytes(b"hello, not a pdf")
    with pytest.raises(CorruptFile):
        export_pdf_file(not_pdf, tmp_path / "o.pdf")
    encrypted = tmp_path / "enc.pdf"
    with pikepdf.open(sample_pdf) as pdf:
        pdf.save(encrypted, encryption=pikepdf.Encryption(owner="o" * 20, user="u" * 20, R=6))
    with pytest.raises(EncryptedContent):
        export_pdf_file(encrypted, tmp_path / "o.pdf")
    assert not (tmp_path / "o.pdf").exists()


def test_withdrawn_or_uncontained_cbc_is_refused(tmp_path: Path, sample_pdf: Path) -> None:
    from keys.allowlist import require_allowed

    with pytest.raises(AlgorithmNotAllowed):  # CBC on its own, outside PDF R6
        require_allowed("AES-256-CBC", key_bits=256, nonce_len=16)
    install_allowlist(DEFAULT_ALLOWLIST.withdraw("AES-256-CBC"))
    with pytest.raises(AlgorithmNotAllowed):
        export_pdf_file(sample_pdf, tmp_path / "o.pdf")
    assert not (tmp_path / "o.pdf").exists()
