"""The OOXML members of the handler contract (see handlers/base.py): Word, Excel and
PowerPoint, each taking its plain, macro-enabled, template and slide-show forms and producing
the plain document type (.docm -> .docx: ``output_mime`` differs from the input's type).
"""

from __future__ import annotations

from typing import ClassVar

from core.errors import ContentRejected, UnsupportedContent
from handlers.base import Handler, Inspection, LabelStamp, unlabellable
from handlers.extract import extract
from handlers.ooxml import policy
from handlers.ooxml.family import (
    DOTM,
    EXCEL,
    POTM,
    POWERPOINT,
    PPSM,
    WORD,
    XLTM,
    Family,
    family_of,
)
from handlers.ooxml.label import embed_label, extract_label
from handlers.ooxml.limits import NotAnOfficePackage, PackageTypeMismatch
from handlers.ooxml.package import OpcPackage
from handlers.ooxml.properties import LABEL_KEY
from handlers.ooxml.rebuild import Rebuilt, rebuild


class OoxmlHandler(Handler):
    """Rebuilds an Office Open XML package from an allow-list (policy.py) and writes back
    only our label (custom property + visible header/footer marking, Chiba 6.2(2)).

    ``mime_types`` lists the package types of the family (plain, macro-enabled, template,
    slide show) that the classifier's extractors also take (handlers/extract/api.py; the
    macro-enabled templates and slide show are not among them yet). Which one a file is
    comes from its main part's content type: libmagic names all of them by folder (a .docm
    is detected as .docx), so until detection reads the content type, every family member
    arrives under the plain type's key and is cleaned all the same.
    """

    family: ClassVar[Family]
    label_metadata_keys = frozenset({LABEL_KEY})

    _package: OpcPackage
    _rebuilt: Rebuilt

    def _load(self) -> None:
        self._package = open_package(self._untrusted_data, self.family)
        # The rebuild is the validation: every kept part is parsed and rewritten here, so a
        # damaged or over-limit part refuses the file at open, not halfway through clean().
        self._rebuilt = rebuild(self._package, self.family, self.options)

    def inspect(self) -> Inspection:
        hazards = {k: n for k, n in sorted(self._rebuilt.tally.hazards.items()) if n}
        return Inspection(
            mime=self.family.main_types[self._package.main_type],
            metadata_keys=self._rebuilt.metadata_keys,
            active_content={k: n for k, n in hazards.items() if k in policy.ACTIVE_KINDS},
            hidden_data={k: n for k, n in hazards.items() if k not in policy.ACTIVE_KINDS},
            properties=dict(self._rebuilt.properties),
            notices={k: n for k, n in sorted(self._rebuilt.tally.notices.items()) if n},
        )

    def extract_text(self) -> str:
        # The classifier reads the original: comments, tracked deletions, hidden sheets and
        # speaker notes included (handlers/extract reads every part of the package).
        return extract(self._untrusted_data, self.family.output_mime, ocr=False).text

    def _sanitise(self) -> tuple[bytes, dict[str, int]]:
        return self._rebuilt.data, dict(self._rebuilt.removed)

    def output_mime(self) -> str:
        return self.family.output_mime

    @classmethod
    def write_label(cls, cleaned: bytes, stamp: LabelStamp) -> bytes:
        # What leaves is verified on a fresh parse: the labelled file. Labelling only adds
        # our label, so anything verification refuses in ``cleaned`` is still there and
        # refuses the output; verifying ``cleaned`` first as well doubled the cost of
        # labelling (bench.mail) for no file it would stop.
        try:
            labelled = embed_label(open_package(cleaned, cls.family), cls.family, stamp)
        except (ContentRejected, UnsupportedContent) as exc:
            raise unlabellable(exc) from exc
        cls.verify(labelled)
        return labelled

    @classmethod
    def read_label(cls, data: bytes) -> dict[str, object] | None:
        return extract_label(open_package(data, cls.family))


def open_package(untrusted_data: bytes, family: Family) -> OpcPackage:
    """A validated package of ``family``; refuses any other Office document."""
    package = OpcPackage(untrusted_data)
    found = family_of(package.main_type)
    if found is None:
        raise NotAnOfficePackage("the main part is not a Word, Excel or PowerPoint document")
    if found is not family:
        raise PackageTypeMismatch(f"the package is a {found.name} document")
    return package


class WordHandler(OoxmlHandler):
    """DOCX, DOCM, DOTX, DOTM -> DOCX."""

    family = WORD
    mime_types = WORD.mime_types - {DOTM}
    output_mime_types = frozenset({WORD.output_mime})


class ExcelHandler(OoxmlHandler):
    """XLSX, XLSM, XLTX, XLTM -> XLSX."""

    family = EXCEL
    mime_types = EXCEL.mime_types - {XLTM}
    output_mime_types = frozenset({EXCEL.output_mime})


class PowerPointHandler(OoxmlHandler):
    """PPTX, PPTM, PPSX, PPSM, POTX, POTM -> PPTX."""

    family = POWERPOINT
    mime_types = POWERPOINT.mime_types - {PPSM, POTM}
    output_mime_types = frozenset({POWERPOINT.output_mime})
