"""Certificates as the signature recipes see them: PEM in and out, matched by issuer/serial.

Trust is pinned: a signature verifies only against certificates the caller passes in (the
service's own, from ``GET /v1/verification-keys`` or the KEK directory). There is no CA chain
to build, so there is nothing to mis-validate.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509

from core.errors import InvalidRequest
from keys.primitives.asymmetric import PublicKey
from keys.primitives.mac import sha256


@dataclass(frozen=True)
class TrustedCertificate:
    der: bytes = field(repr=False)
    subject: str
    sha256: str
    issuer_der: bytes = field(repr=False)
    serial: int
    key_identifier: bytes | None = field(repr=False)
    not_before: datetime
    not_after: datetime

    def public_key(self) -> PublicKey:
        cert = asn1_x509.Certificate.load(self.der)
        return PublicKey.from_spki_der(cert["tbs_certificate"]["subject_public_key_info"].dump())

    def pem(self) -> str:
        return der_to_pem(self.der)


def der_to_pem(der: bytes) -> str:
    body = base64.b64encode(der).decode("ascii")
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n"


@functools.lru_cache(maxsize=64)
def parse_certificate(data: bytes | str) -> TrustedCertificate:
    """One certificate, PEM or DER (cached: the same few certificates verify everything)."""
    raw = data.encode("ascii") if isinstance(data, str) else data
    try:
        if asn1_pem.detect(raw):
            _label, _headers, raw = asn1_pem.unarmor(raw)
        cert = asn1_x509.Certificate.load(raw, strict=True)
        tbs = cert["tbs_certificate"]
        return TrustedCertificate(
            der=cert.dump(),
            subject=str(cert.subject.human_friendly),
            sha256=sha256(cert.dump(), new_work=False).hex(),
            issuer_der=cert.issuer.dump(),
            serial=int(cert.serial_number),
            key_identifier=cert.key_identifier,
            not_before=tbs["validity"]["not_before"].native,
            not_after=tbs["validity"]["not_after"].native,
        )
    except (ValueError, TypeError, KeyError):
        raise InvalidRequest("a certificate could not be read") from None


def parse_certificates(items: Iterable[bytes | str]) -> list[TrustedCertificate]:
    """Certificates from PEM/DER items; a PEM item may hold several certificates."""
    found: list[TrustedCertificate] = []
    for item in items:
        raw = item.encode("ascii") if isinstance(item, str) else item
        if asn1_pem.detect(raw):
            try:
                ders = [der for _label, _headers, der in asn1_pem.unarmor(raw, True)]
            except ValueError:
                raise InvalidRequest("a certificate file could not be read") from None
            found.extend(parse_certificate(der) for der in ders)
        else:
            found.append(parse_certificate(raw))
    return found
