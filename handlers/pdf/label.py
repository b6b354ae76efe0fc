"""Our label in a PDF: properties and a visible stamp (Chiba 6.2(2), LBL-01).

Three places, written together and read back together:

- DocInfo ``/SekishoClassification``: viewers list custom DocInfo entries under the
  document's properties (Acrobat: Document Properties > Custom);
- an XMP packet on the catalog with ``sekisho:Classification`` (the same JSON) and
  ``sekisho:Marking`` (the visible text), where XMP-aware tools look (xmp.py);
- the visible header line on every page (stamp.py).

The sanitiser removed every DocInfo entry and XMP packet before; only these are written
back, and verification accepts exactly these (scan.py, PdfHandler._output_problems).
"""

from __future__ import annotations

from pikepdf import Dictionary, Integer, Name, Pdf, Stream, String

from handlers.base import LabelStamp
from handlers.labelcodec import decode_label, encode_label
from handlers.pdf.document import open_pdf, pdf_errors, save_pdf
from handlers.pdf.policy import INFO
from handlers.pdf.stamp import apply_stamp
from handlers.pdf.xmp import MAX_PACKET_BYTES, XMP_LABEL_KEY, build_packet, parse_packet

#: The one DocInfo key sekisho writes: the label as canonical JSON.
LABEL_KEY = "/SekishoClassification"
#: Metadata keys an inspection may report on a labelled PDF (and nothing else).
LABEL_KEYS = frozenset({LABEL_KEY, XMP_LABEL_KEY})
METADATA = Name("/Metadata")
_XMP_DICTIONARY_KEYS = frozenset({"/Type", "/Subtype", "/Length"})


def embed_label(cleaned: bytes, stamp: LabelStamp) -> bytes:
    """DocInfo with only the label, our XMP packet, the stamp on every page; full rewrite."""
    encoded = encode_label(stamp.label)
    with open_pdf(cleaned) as pdf, pdf_errors("labelled"):
        info = Dictionary({LABEL_KEY: String(encoded)})
        pdf.trailer[INFO] = pdf.make_indirect(info)
        packet = Stream(pdf, build_packet(encoded, stamp.visible),
                        Type=Name.Metadata, Subtype=Name.XML)
        pdf.Root[METADATA] = pdf.make_indirect(packet)
        apply_stamp(pdf, stamp.visible)
        return save_pdf(pdf)


def extract_label(data: bytes) -> dict[str, object] | None:
    """The label, when DocInfo and XMP agree on it; None when there is none (or they
    disagree: a label we cannot trust is no label)."""
    with open_pdf(data) as pdf, pdf_errors("read"):
        info_label = docinfo_label(pdf)
        xmp_label = xmp_label_json(pdf.Root.get(METADATA))
    if info_label is None or xmp_label is None or info_label != xmp_label:
        return None
    return decode_label(info_label)


def docinfo_label(pdf: Pdf) -> str | None:
    info = pdf.trailer.get(INFO)
    if not isinstance(info, Dictionary):
        return None
    value = info.get(Name(LABEL_KEY))
    return str(value) if isinstance(value, String) else None


def xmp_label_json(value: object) -> str | None:
    """The label JSON of our exact XMP packet, else None. Only an unfiltered stream with a
    plain dictionary is read, so no decompression happens on hostile input."""
    if not isinstance(value, Stream):
        return None
    if set(value.keys()) != _XMP_DICTIONARY_KEYS:
        return None
    if value.get(Name.Type) != Name.Metadata or value.get(Name.Subtype) != Name.XML:
        return None
    length = value.get(Name.Length)
    if not isinstance(length, (int, Integer)) or int(length) > MAX_PACKET_BYTES:
        return None
    parsed = parse_packet(value.read_raw_bytes())
    return parsed[0] if parsed is not None else None
