"""Contract samples: Word, Excel and PowerPoint (handlers/ooxml).

libmagic names an OOXML file by the folder of its first entries, so a .docm is detected as
.docx and reaches the Word handler under the .docx key (tests/handlers/ooxml covers that).
Macro-enabled, template and slide-show samples join the suite under their own keys as soon
as ``handlers.detect`` tells them apart (see the issue 4 report); until then they would fail
the detection test for a reason that is not the handler's.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from handlers.detect import detect
from handlers.ooxml import ExcelHandler, OoxmlHandler, PowerPointHandler, WordHandler
from tests.fixtures.officegen import make_docx, make_pptx, make_xlsx
from tests.fixtures.ooxmldirty import (
    SECRETS,
    PackageEditor,
    make_dirty_excel,
    make_dirty_powerpoint,
    make_dirty_word,
)
from tests.handlers.contract import MARKER, Sample

TEXT = f"{MARKER} 本文"
#: Markers planted by the dirty builders (tests/handlers/ooxml searches decompressed parts).
_SECRETS = tuple(SECRETS.values())
#: Handler -> (clean sample, dirty sample builder taking ``macro``, main part name).
_FAMILIES: dict[type[OoxmlHandler], tuple[Callable[[], bytes], Callable[[bool], bytes], str]] = {
    WordHandler: (lambda: make_docx([TEXT]), lambda macro: make_dirty_word(TEXT, macro=macro),
                  "word/document.xml"),
    ExcelHandler: (lambda: make_xlsx({"Sheet1": [[TEXT]]}),
                   lambda macro: make_dirty_excel(TEXT, macro=macro), "xl/workbook.xml"),
    PowerPointHandler: (lambda: make_pptx([TEXT]),
                        lambda macro: make_dirty_powerpoint(TEXT, macro=macro),
                        "ppt/presentation.xml"),
}


def _not_a_package() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", f"<w:document>{MARKER}</w:document>")
    return out.getvalue()


def _variant(dirty: Callable[[bool], bytes], main: str, content_type: str) -> bytes:
    """The dirty sample as another member of its family (macro-enabled, template...)."""
    editor = PackageEditor(dirty(True))
    editor.retype(main, content_type)
    return editor.save()


SAMPLES: dict[str, Sample] = {}
for _handler, (_clean, _dirty, _main) in _FAMILIES.items():
    SAMPLES[_handler.family.output_mime] = Sample(
        handler=_handler, clean=_clean, dirty=lambda d=_dirty: d(False),
        broken=_clean()[:len(_clean()) // 2],  # the central directory is cut off
        labels=True, secrets=_SECRETS)
    for _type, _mime in _handler.family.main_types.items():
        if _mime in SAMPLES or detect(_variant(_dirty, _main, _type)).mime != _mime:
            continue
        SAMPLES[_mime] = Sample(
            handler=_handler, clean=lambda d=_dirty, m=_main, t=_type: _variant(d, m, t),
            dirty=lambda d=_dirty, m=_main, t=_type: _variant(d, m, t),
            broken=_not_a_package(), labels=True, output_mime=_handler.family.output_mime,
            secrets=_SECRETS)
