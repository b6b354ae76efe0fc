"""PAdES signatures inside PDFs (pyHanko), made with the service's opaque signer.

pyHanko builds the PDF signature dictionary and the CMS structure; the raw signature comes from
our :class:`Signer` (so the private key never leaves its handle and the allow-list is asked on
every signature). Encrypted PDFs (the R6 exports, keys.export.pdf) are signed in an incremental
update that keeps their encryption.

Verification pins trust to the certificates passed in, and insists that the signature covers
the entire file: an update appended after signing is a failure, not a warning.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from asn1crypto import algos, cms, x509
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.crypt.api import AuthStatus
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.signers.pdf_cms import Signer as PyhankoSigner
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext

from core.errors import CorruptFile, DecryptionFailed
from keys.allowlist import require_allowed
from keys.primitives.signing import ECDSA_P256_SHA256, RSA_PSS_SHA256
from keys.sign.certificates import parse_certificates
from keys.sign.cms_sign import signature_algorithm_identifier
from keys.sign.cms_verify import VerifiedSignature
from keys.sign.errors import SignatureInvalid
from keys.sign.signer import Signer

# pyHanko adds OIDs to asn1crypto's name tables when imported, but asn1crypto caches each
# table's reverse map on first use: if our CMS code ran before this import, pyHanko's names
# (e.g. signing_certificate_v2) would be missing and its signing would fail. Rebuild the caches
# so they match the extended tables again.
for _oid_table in (cms.CMSAttributeType, cms.ContentType, x509.ExtensionId, algos.KdfAlgorithmId):
    _oid_table._reverse_map = {name: oid for oid, name in _oid_table._map.items()}

FIELD_NAME = "SekishoSignature"
_MECHANISMS = {"sha256_ecdsa": ECDSA_P256_SHA256, "ecdsa": ECDSA_P256_SHA256,
               "rsassa_pss": RSA_PSS_SHA256}


class _HankoSigner(PyhankoSigner):
    """Adapts our Signer to pyHanko: pyHanko hashes and assembles, we sign."""

    def __init__(self, signer: Signer) -> None:
        certificate = asn1_x509.Certificate.load(signer.certificate.der)
        super().__init__(
            signing_cert=certificate,
            signature_mechanism=signature_algorithm_identifier(signer.algorithm),
        )  # no registry: the signer's own certificate is always embedded
        self._ours = signer

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False
                             ) -> bytes:
        if digest_algorithm != "sha256":
            raise SignatureInvalid(f"PDF signatures use SHA-256, not {digest_algorithm}")
        return self._ours.sign_raw(data)


def sign_pdf(pdf: bytes, signer: Signer, *, password: str | None = None) -> bytes:
    """``pdf`` with a PAdES baseline signature over the whole file appended.

    ``password`` opens an encrypted PDF (use the owner password: signing modifies the file).
    """
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    if writer.prev.encrypted:
        if password is None:
            raise DecryptionFailed()
        _authenticate(writer.encrypt, password)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES,
        reason="sekisho export (integrity 2)",
    )
    output = signers.sign_pdf(writer, meta, signer=_HankoSigner(signer))
    signed: bytes = output.getvalue()
    return signed


def _authenticate(open_with: Callable[[str], Any], password: str) -> None:
    try:
        result = open_with(password)
    except (PdfError, ValueError):
        raise DecryptionFailed() from None
    if result.status is AuthStatus.FAILED:
        raise DecryptionFailed()  # a wrong password: the one opaque answer


def _reader(pdf: bytes, password: str | None) -> Any:
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    except (PdfError, ValueError):
        raise CorruptFile("the file is not a readable PDF") from None
    if reader.encrypted:
        if password is None:
            raise DecryptionFailed()
        _authenticate(reader.decrypt, password)
    return reader


def _check_status(status: Any) -> VerifiedSignature:
    if not (status.intact and status.valid):
        raise SignatureInvalid("the PDF signature does not verify")
    if not status.trusted:
        raise SignatureInvalid("the PDF signer is not one of the trusted certificates")
    if status.coverage.name != "ENTIRE_FILE":
        raise SignatureInvalid("the PDF was changed after it was signed")
    algorithm = _MECHANISMS.get(status.pkcs7_signature_mechanism)
    if algorithm is None or status.md_algorithm != "sha256":
        raise SignatureInvalid("the PDF signature uses an algorithm outside the allow-list")
    require_allowed(algorithm, new_work=False)
    cert = parse_certificates([status.signing_cert.dump()])[0]
    return VerifiedSignature(cert.subject, cert.sha256, algorithm, status.signer_reported_dt)


def verify_pdf(
    pdf: bytes, certs: Iterable[bytes | str], *, password: str | None = None,
) -> list[VerifiedSignature]:
    """Every embedded signature, each verified; none at all is a failure too."""
    trusted = {c.der: c for c in parse_certificates(certs)}
    signatures = _reader(pdf, password).embedded_signatures
    if not signatures:
        raise SignatureInvalid("the PDF has no embedded signature")
    return [_verify_embedded(embedded, trusted) for embedded in signatures]


def _verify_embedded(embedded: Any, trusted: dict[bytes, Any]) -> VerifiedSignature:
    try:
        signer_der = embedded.signer_cert.dump()
    except (SignatureValidationError, PdfError, ValueError, KeyError):
        raise SignatureInvalid("the PDF signature names no signer certificate") from None
    # Pinned trust, checked before pyHanko: the signer's own certificate must be one of ours
    # (a chain to it is not enough, and pyHanko's path building is not needed for that).
    if signer_der not in trusted:
        raise SignatureInvalid("the PDF signer is not one of the trusted certificates")
    root = asn1_x509.Certificate.load(signer_der)
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    try:
        status = validate_pdf_signature(embedded, context)
    except (SignatureValidationError, PdfError, ValueError, AssertionError):
        raise SignatureInvalid("the PDF signature could not be validated") from None
    return _check_status(status)
