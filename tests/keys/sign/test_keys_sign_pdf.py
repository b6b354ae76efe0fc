"""PAdES signatures inside PDFs: made with our signer through pyHanko, verified against pinned
certificates, and any change after signing is a failure."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pikepdf
import pytest

from core.errors import DecryptionFailed
from keys.export import export_file, parse_export_format
from keys.sign import SignatureInvalid, Signer, sign_pdf, verify_detached_file, verify_pdf


def _pdf() -> bytes:
    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(out)
    return out.getvalue()


def test_sign_and_verify(signer: Signer, qpdf_bin: str, tmp_path: Path) -> None:
    signed = sign_pdf(_pdf(), signer)
    (result,) = verify_pdf(signed, [signer.certificate_pem])
    assert result.algorithm == signer.algorithm
    assert result.certificate_sha256 == signer.certificate.sha256
    (tmp_path / "s.pdf").write_bytes(signed)
    check = subprocess.run([qpdf_bin, "--check", str(tmp_path / "s.pdf")],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    assert b"/ETSI.CAdES.detached" in signed  # PAdES, not the legacy adbe.pkcs7 subfilter


def test_untrusted_or_missing_signatures(ec_signer: Signer, rsa_signer: Signer) -> None:
    signed = sign_pdf(_pdf(), ec_signer)
    with pytest.raises(SignatureInvalid, match="not one of the trusted"):
        verify_pdf(signed, [rsa_signer.certificate_pem])
    with pytest.raises(SignatureInvalid, match="no embedded signature"):
        verify_pdf(_pdf(), [ec_signer.certificate_pem])


def test_changed_bytes_fail(ec_signer: Signer) -> None:
    signed = bytearray(sign_pdf(_pdf(), ec_signer))
    offset = signed.index(b"/MediaBox")  # inside the signed byte range
    signed[offset + 1] = ord("N")
    with pytest.raises(SignatureInvalid):
        verify_pdf(bytes(signed), [ec_signer.certificate_pem])


def test_an_update_after_signing_fails(ec_signer: Signer) -> None:
    from pyhanko.pdf_utils.generic import NameObject, TextStringObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    signed = sign_pdf(_pdf(), ec_signer)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    writer.root[NameObject("/Lang")] = TextStringObject("ja")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(SignatureInvalid, match="changed after it was signed"):
        verify_pdf(out.getvalue(), [ec_signer.certificate_pem])


def test_signed_encrypted_export(tmp_path: Path, ec_signer: Signer, qpdf_bin: str,
                                 openssl_bin: str) -> None:
    source = tmp_path / "in.pdf"
    source.write_bytes(_pdf())
    out = tmp_path / "out.pdf"
    result = export_file(source, out, parse_export_format("pdf"), signer=ec_signer)
    assert result.pdf_signed and result.password is not None
    (verified,) = verify_pdf(out.read_bytes(), [ec_signer.certificate_pem],
                             password=result.password)
    assert verified.algorithm == "ECDSA-P256-SHA-256"
    with pytest.raises(DecryptionFailed):
        verify_pdf(out.read_bytes(), [ec_signer.certificate_pem], password="wrong")
    show = subprocess.run([qpdf_bin, f"--password={result.password}", "--show-encryption",
                           str(out)], capture_output=True, text=True, check=False)
    assert "R = 6" in show.stdout  # signing kept the encryption
    assert result.signature is not None
    verify_detached_file(out, result.signature.read_bytes(), [ec_signer.certificate_pem])
    cert = tmp_path / "cert.pem"
    cert.write_text(ec_signer.certificate_pem)
    subprocess.run([openssl_bin, "cms", "-verify", "-binary", "-inform", "DER", "-in",
                    str(result.signature), "-content", str(out), "-CAfile", str(cert),
                    "-out", "/dev/null"], check=True, capture_output=True)


def test_cms_signing_before_pyhanko_is_imported_does_not_break_it() -> None:
    """asn1crypto caches OID name tables on first use; pyHanko extends them on import."""
    import subprocess
    import sys

    code = (
        "import io, pikepdf\n"
        "from keys.sign import Signer, sign_detached, sign_pdf, verify_pdf\n"
        "s = Signer.generate('signing-v1')\n"
        "sign_detached(b'first, before pyhanko', s)\n"
        "out = io.BytesIO()\n"
        "with pikepdf.new() as pdf:\n"
        "    pdf.add_blank_page(); pdf.save(out)\n"
        "verify_pdf(sign_pdf(out.getvalue(), s), [s.certificate_pem])\n"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr
