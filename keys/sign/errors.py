"""Errors of the signature recipes (stable snake_case codes, core.errors conventions)."""

from __future__ import annotations

from core.errors import ContentRejected


class SignatureInvalid(ContentRejected):
    """A signature does not verify, is not by a trusted certificate, or uses an algorithm
    outside the allow-list. Unlike decryption, the reason is safe to state and is stated."""

    code = "signature_invalid"
    default_message = "the signature does not verify"
