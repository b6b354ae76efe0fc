"""Errors of the export recipes, each with a stable snake_case code (core.errors conventions)."""

from __future__ import annotations

from core.errors import InvalidRequest

# One class for "right magic, unknown version" across sealed streams and export envelopes
# (code unsupported_format_version): the recipient needs to know to update sekisho, and the
# version byte is not secret, so this is the one failure that is not the opaque one.
from keys.sealed_format import UnsupportedFormatVersion

__all__ = ["UnknownExportFormat", "UnsupportedFormatVersion", "WeakPassword"]


class WeakPassword(InvalidRequest):
    """A caller-supplied export password below the strength floor (keys.export.passwords)."""

    code = "weak_password"
    default_message = "the password is too short for an export"


class UnknownExportFormat(InvalidRequest):
    code = "unknown_export_format"
    default_message = "unknown export format (use cms, pdf or sealed)"
