"""Our label in the PDF's document information (Chiba 6.2(2), LBL-01).

Viewers list custom DocInfo entries under the document's properties (Acrobat: Document
Properties > Custom), which is where the policy wants the classification to be visible.
The sanitiser removed every DocInfo entry before; only these keys are written back.
"""

from __future__ import annotations

from collections.abc import Mapping

from pikepdf import Dictionary, Name, String

from handlers.labelcodec import decode_label, encode_label
from handlers.pdf.document import open_pdf, pdf_errors, save_pdf
from handlers.pdf.policy import INFO

#: The one DocInfo key sekisho writes: the label as canonical JSON.
LABEL_KEY = "/SekishoClassification"
LABEL_KEYS = frozenset({LABEL_KEY})


def embed_label(cleaned: bytes, label: Mapping[str, object]) -> bytes:
    """Replace the DocInfo dictionary by one holding only the label; full rewrite."""
    encoded = encode_label(label)
    with open_pdf(cleaned) as pdf, pdf_errors("labelled"):
        info = Dictionary({LABEL_KEY: String(encoded)})
        pdf.trailer[INFO] = pdf.make_indirect(info)
        return save_pdf(pdf)


def extract_label(data: bytes) -> dict[str, object] | None:
    with open_pdf(data) as pdf, pdf_errors("read"):
        info = pdf.trailer.get(INFO)
        if not isinstance(info, Dictionary):
            return None
        value = info.get(Name(LABEL_KEY))
        return decode_label(str(value)) if isinstance(value, String) else None
