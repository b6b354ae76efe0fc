"""Contract samples: Word, Excel and PowerPoint (handlers/ooxml).

libmagic names an OOXML file by the folder of its first entries, so a .docm is detected as
.docx (and reaches the Word handler under the .docx key, where the OOXML tests cover it).
Macro-enabled samples join the suite under their own keys as soon as ``handlers.detect``
tells them apart (see the issue 4 report); until then they would fail the detection test
for a reason that is not the handler's.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from handlers.detect import detect
from handlers.ooxml import ExcelHandler, PowerPointHandler, WordHandler
from handlers.ooxml.family import DOCM, DOCX, PPTM, PPTX, XLSM, XLSX
from tests.fixtures.officegen import make_docx, make_pptx, make_xlsx
from tests.fixtures.ooxmldirty import (
    SECRETS,
    make_dirty_excel,
    make_dirty_powerpoint,
    make_dirty_word,
)
from tests.handlers.contract import MARKER, Sample

#: Markers planted by the dirty builders (tests/handlers/ooxml searches decompressed parts).
_SECRETS = tuple(SECRETS.values())


def _truncated(data: bytes) -> bytes:
    """A package cut in half: the central directory is gone."""
    return data[: len(data) // 2]


def _not_a_package() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", f"<w:document>{MARKER}</w:document>")
    return out.getvalue()


def _sample(handler: type[WordHandler | ExcelHandler | PowerPointHandler],
            clean: Callable[[], bytes], dirty: Callable[[bool], bytes], *, macro: bool,
            output_mime: str | None = None) -> Sample:
    return Sample(
        handler=handler, clean=clean, dirty=lambda: dirty(macro),
        broken=_truncated(clean()), labels=True, output_mime=output_mime, secrets=_SECRETS,
    )


SAMPLES = {
    DOCX: _sample(WordHandler, lambda: make_docx([f"{MARKER} 本文"]),
                  lambda macro: make_dirty_word(f"{MARKER} 本文", macro=macro), macro=False),
    XLSX: _sample(ExcelHandler, lambda: make_xlsx({"Sheet1": [[f"{MARKER} 本文"]]}),
                  lambda macro: make_dirty_excel(f"{MARKER} 本文", macro=macro), macro=False),
    PPTX: _sample(PowerPointHandler, lambda: make_pptx([f"{MARKER} 本文"]),
                  lambda macro: make_dirty_powerpoint(f"{MARKER} 本文", macro=macro),
                  macro=False),
}
_MACRO = {
    DOCM: (WordHandler, make_dirty_word, DOCX),
    XLSM: (ExcelHandler, make_dirty_excel, XLSX),
    PPTM: (PowerPointHandler, make_dirty_powerpoint, PPTX),
}
for _mime, (_handler, _dirty, _output) in _MACRO.items():
    if detect(_dirty(MARKER, macro=True)).mime == _mime:
        SAMPLES[_mime] = Sample(
            handler=_handler, clean=lambda d=_dirty: d(MARKER, macro=True),
            dirty=lambda d=_dirty: d(MARKER, macro=True), broken=_not_a_package(),
            labels=True, output_mime=_output, secrets=_SECRETS)
