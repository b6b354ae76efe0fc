"""Verify detached CMS signatures against pinned certificates.

The signature file is untrusted input: it is size-limited, parsed strictly, and every way it
can be wrong raises :class:`SignatureInvalid` with the reason (a signature check is not an
oracle the way decryption is). Algorithms go through the allow-list as "opening existing
data" (a 危殆化-withdrawn algorithm still verifies old signatures; an unlisted one never does).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import cms

from core.errors import AlgorithmNotAllowed, InvalidRequest
from keys.allowlist import require_allowed
from keys.primitives.digest import sha256_file
from keys.primitives.mac import equal_constant_time, sha256
from keys.primitives.signing import ECDSA_P256_SHA256, RSA_PSS_SHA256, verify_signature
from keys.sign.certificates import TrustedCertificate, parse_certificates
from keys.sign.errors import SignatureInvalid

MAX_SIGNATURE_BYTES = 256 * 1024


@dataclass(frozen=True)
class VerifiedSignature:
    signer: str
    certificate_sha256: str
    algorithm: str
    signing_time: datetime | None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "signer": self.signer,
            "certificate_sha256": self.certificate_sha256,
            "algorithm": self.algorithm,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
        }


def _only(values: Sequence[Any], what: str) -> Any:
    if len(values) != 1:
        raise SignatureInvalid(f"expected exactly one {what}")
    return values[0]


def _attribute(signed_attrs: Any, name: str, *, required: bool = True) -> Any:
    found = [a for a in signed_attrs if a["type"].native == name]
    if not found:
        if required:
            raise SignatureInvalid(f"the signed attributes lack {name}")
        return None
    return _only(_only(found, f"{name} attribute")["values"], f"{name} value")


def _signer_info(signature: bytes) -> Any:
    if len(signature) > MAX_SIGNATURE_BYTES:
        raise SignatureInvalid("the signature file is too large")
    info = cms.ContentInfo.load(signature, strict=True)
    _ = info.native  # asn1crypto parses lazily: force every field, so malformed DER fails here
    if info["content_type"].native != "signed_data":
        raise SignatureInvalid("not a CMS SignedData signature")
    signed_data = info["content"]
    encap = signed_data["encap_content_info"]
    if encap["content_type"].native != "data" or encap["content"].native is not None:
        raise SignatureInvalid("not a detached signature over data")
    _check_unsigned_fields(signed_data)
    return _only(list(signed_data["signer_infos"]), "signer")


def _check_unsigned_fields(signed_data: Any) -> None:
    """Fields outside the signature must still be exactly what this profile allows, so that
    nothing in an accepted file is unexamined (RFC 5652: v1, issuerAndSerialNumber, SHA-256)."""
    if signed_data["version"].native != "v1" or signed_data["crls"].native is not None:
        raise SignatureInvalid("unexpected SignedData version or CRLs")
    digests = signed_data["digest_algorithms"].native
    if [d["algorithm"] for d in digests] != ["sha256"]:
        raise AlgorithmNotAllowed("detached signatures must use SHA-256 only")
    for signer_info in signed_data["signer_infos"]:
        if (signer_info["version"].native != "v1"
                or signer_info["sid"].name != "issuer_and_serial_number"
                or signer_info["unsigned_attrs"].native is not None):
            raise SignatureInvalid("unexpected SignerInfo version, identifier or attributes")


def _algorithm_name(signer_info: Any) -> tuple[str, int]:
    """Our allow-list name for the signature algorithm, and the PSS salt length."""
    if signer_info["digest_algorithm"]["algorithm"].native != "sha256":
        raise AlgorithmNotAllowed("detached signatures must use SHA-256")
    mechanism = signer_info["signature_algorithm"]
    name = mechanism["algorithm"].native
    if name in ("sha256_ecdsa", "ecdsa"):
        return ECDSA_P256_SHA256, 0
    if name == "rsassa_pss":
        params = mechanism["parameters"]
        mgf = params["mask_gen_algorithm"]
        if (params["hash_algorithm"]["algorithm"].native != "sha256"
                or mgf["algorithm"].native != "mgf1"
                or mgf["parameters"]["algorithm"].native != "sha256"):
            raise AlgorithmNotAllowed("RSA-PSS signatures must use SHA-256 and MGF1-SHA-256")
        return RSA_PSS_SHA256, int(params["salt_length"].native)
    raise AlgorithmNotAllowed(f"signature algorithm {name!r} is not on the allow-list")


def _find_certificate(
    signer_info: Any, trusted: Iterable[TrustedCertificate],
) -> TrustedCertificate:
    sid = signer_info["sid"].chosen  # issuerAndSerialNumber (checked above)
    for cert in trusted:
        if sid["issuer"].dump() == cert.issuer_der and sid["serial_number"].native == cert.serial:
            return cert
    raise SignatureInvalid("the signer is not one of the trusted certificates")


def _check_protection(signed_attrs: Any, signer_info: Any) -> None:
    protection = _attribute(signed_attrs, "cms_algorithm_protection", required=False)
    if protection is None:
        return
    # Compared as values: in the attribute the signature algorithm is [1] IMPLICIT-tagged.
    if (protection["digest_algorithm"].native != signer_info["digest_algorithm"].native
            or protection["signature_algorithm"].native
            != signer_info["signature_algorithm"].native):
        raise SignatureInvalid("CMSAlgorithmProtection does not match the algorithms used")


def _verify(digest: bytes, signature: bytes, certs: Iterable[bytes | str]) -> VerifiedSignature:
    signer_info = _signer_info(signature)
    algorithm, salt_length = _algorithm_name(signer_info)
    signed_attrs = signer_info["signed_attrs"]
    if not signed_attrs.contents:
        raise SignatureInvalid("signatures without signed attributes are not accepted")
    if _attribute(signed_attrs, "content_type").native != "data":
        raise SignatureInvalid("the signed content type is not data")
    if not equal_constant_time(_attribute(signed_attrs, "message_digest").native, digest):
        raise SignatureInvalid("the file does not match the signature (digest differs)")
    _check_protection(signed_attrs, signer_info)
    cert = _find_certificate(signer_info, parse_certificates(certs))
    # The signature covers the attributes re-tagged as a universal SET (RFC 5652 5.4).
    covered = b"\x31" + signed_attrs.dump()[1:]
    signature_value = signer_info["signature"].native
    if not verify_signature(cert.public_key(), algorithm, signature_value, covered,
                            pss_salt_length=salt_length):
        raise SignatureInvalid("the signature value does not verify")
    when = _signing_time(signed_attrs, cert)
    return VerifiedSignature(cert.subject, cert.sha256, algorithm, when)


def _signing_time(signed_attrs: Any, cert: TrustedCertificate) -> datetime | None:
    value = _attribute(signed_attrs, "signing_time", required=False)
    when: datetime | None = value.native if value is not None else None
    if when is not None and not cert.not_before <= when <= cert.not_after:
        raise SignatureInvalid("the signing time is outside the certificate's validity")
    return when


def verify_detached_digest(
    digest: bytes, signature: bytes, certs: Iterable[bytes | str],
) -> VerifiedSignature:
    require_allowed("SHA-256", new_work=False)
    try:
        return _verify(digest, signature, certs)
    except (SignatureInvalid, AlgorithmNotAllowed, InvalidRequest):
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        # asn1crypto parses lazily: malformed DER surfaces at first access, anywhere above.
        raise SignatureInvalid("the signature is malformed") from None


def verify_detached(
    data: bytes, signature: bytes, certs: Iterable[bytes | str],
) -> VerifiedSignature:
    """Check a detached CMS signature over ``data`` by one of ``certs`` (PEM or DER)."""
    return verify_detached_digest(sha256(data, new_work=False), signature, certs)


def verify_detached_file(
    path: Path, signature: bytes, certs: Iterable[bytes | str],
) -> VerifiedSignature:
    return verify_detached_digest(sha256_file(path, new_work=False), signature, certs)
