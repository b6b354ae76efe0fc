"""Contract samples: RTF and legacy .doc/.xls/.ppt (LegacyOfficeHandler, cleaned via OOXML).

Only present when LibreOffice (with python3-uno) is installed: these formats are refused
with ``converter_unavailable`` without it, which test_legacy.py checks on its own.
"""

from __future__ import annotations

from handlers.convert import LegacyOfficeHandler, converter_available
from tests.fixtures.rtfgen import make_rtf
from tests.handlers.contract import MARKER, Sample

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
AUTHOR = f"{MARKER}-author"
BROKEN_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600


def _samples() -> dict[str, Sample]:
    if not converter_available():
        return {}
    from tests.fixtures import legacygen as g

    text = f"{MARKER} 本文"
    return {
        "text/rtf": Sample(
            handler=LegacyOfficeHandler,
            clean=lambda: make_rtf([text]),
            dirty=lambda: make_rtf([text], author=AUTHOR, company="会社", title="題名"),
            broken=b"not an rtf document at all",
            labels=True, output_mime=DOCX, secrets=(AUTHOR,),
        ),
        "application/msword": Sample(
            handler=LegacyOfficeHandler,
            clean=lambda: g.make_doc(text, author=None),
            dirty=lambda: g.make_doc(text, author=AUTHOR),
            broken=BROKEN_CFB, labels=True, output_mime=DOCX, secrets=(AUTHOR,),
        ),
        "application/vnd.ms-excel": Sample(
            handler=LegacyOfficeHandler,
            clean=lambda: g.make_xls(text),
            dirty=lambda: g.make_xls(text, author=AUTHOR),
            broken=BROKEN_CFB, labels=True, output_mime=XLSX, secrets=(AUTHOR,),
        ),
        "application/vnd.ms-powerpoint": Sample(
            handler=LegacyOfficeHandler,
            clean=lambda: g.make_ppt(text),
            dirty=lambda: g.make_ppt(text, author=AUTHOR),
            broken=BROKEN_CFB, labels=True, output_mime=PPTX, secrets=(AUTHOR,),
        ),
    }


SAMPLES = _samples()
