"""Shared pieces of the converter tests: the skip marker and one warm converter."""

from __future__ import annotations

import pytest

from handlers.convert import converter_available

HAS_LIBREOFFICE = converter_available()
needs_libreoffice = pytest.mark.skipif(
    not HAS_LIBREOFFICE,
    reason="LibreOffice with python3-uno is not installed (apt-get install -y "
    "--no-install-recommends libreoffice-writer-nogui libreoffice-calc-nogui "
    "libreoffice-impress-nogui python3-uno)",
)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
