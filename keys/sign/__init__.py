"""Signatures for integrity-2 documents and records (Saitama 第6 1(5); issue 5, item 5).

- :func:`load_or_create_signer` / :func:`load_signer`: the service signing key, sealed in the
  KEK directory under a DEK the KEK provider wraps (:mod:`keys.sign.store`).
- :func:`sign_detached` / :func:`sign_file` / :func:`sign_record`: detached CMS signatures;
  :func:`verify_detached` / :func:`verify_detached_file` check them against pinned certificates.
- :func:`sign_pdf` / :func:`verify_pdf`: PAdES inside PDFs (pyHanko, imported on first use).
- :func:`verification_certificates`: what ``GET /v1/verification-keys`` publishes.
"""

from __future__ import annotations

from collections.abc import Iterable

from keys.primitives.signing import ECDSA_P256_SHA256, RSA_PSS_SHA256, SIGNATURE_ALGORITHMS
from keys.sign.cms_sign import sign_detached, sign_detached_digest, sign_file, sign_record
from keys.sign.cms_verify import (
    VerifiedSignature,
    verify_detached,
    verify_detached_digest,
    verify_detached_file,
)
from keys.sign.errors import SignatureInvalid
from keys.sign.signer import Signer
from keys.sign.store import (
    load_or_create_signer,
    load_signer,
    rewrap_signers,
    verification_certificates,
    verification_keys,
)


def sign_pdf(pdf: bytes, signer: Signer, *, password: str | None = None) -> bytes:
    """PAdES-sign ``pdf`` (see :func:`keys.sign.pdf_sign.sign_pdf`)."""
    from keys.sign import pdf_sign  # pyHanko takes ~0.6 s to import: only when needed

    return pdf_sign.sign_pdf(pdf, signer, password=password)


def verify_pdf(
    pdf: bytes, certs: Iterable[bytes | str], *, password: str | None = None,
) -> list[VerifiedSignature]:
    """Verify every embedded PDF signature (see :func:`keys.sign.pdf_sign.verify_pdf`)."""
    from keys.sign import pdf_sign

    return pdf_sign.verify_pdf(pdf, certs, password=password)


__all__ = [
    "ECDSA_P256_SHA256",
    "RSA_PSS_SHA256",
    "SIGNATURE_ALGORITHMS",
    "SignatureInvalid",
    "Signer",
    "VerifiedSignature",
    "load_or_create_signer",
    "load_signer",
    "rewrap_signers",
    "sign_detached",
    "sign_detached_digest",
    "sign_file",
    "sign_pdf",
    "sign_record",
    "verification_certificates",
    "verification_keys",
    "verify_detached",
    "verify_detached_digest",
    "verify_detached_file",
    "verify_pdf",
]
