"""PdfHandler: the PDF member of the handler contract (see handlers/base.py)."""

from __future__ import annotations

from pikepdf import Name, Pdf

from core.errors import ContentRejected, UnsupportedContent, VerificationFailed
from handlers.base import Handler, Inspection, LabelStamp, PropertyValue, unlabellable
from handlers.labelcodec import decode_label, encode_label
from handlers.pdf import policy
from handlers.pdf.document import PDF_MIME, open_pdf, pdf_errors, save_pdf
from handlers.pdf.label import (
    LABEL_KEYS,
    METADATA,
    docinfo_label,
    embed_label,
    extract_label,
)
from handlers.pdf.scan import ScanResult, remove, scan
from handlers.pdf.stamp import stamped_pages
from handlers.pdf.textextract import extract_pdf_text
from handlers.pdf.xmp import XMP_LABEL_KEY

_ID = Name("/ID")
#: Metadata key reported when XMP packets are present (their fields are not parsed).
XMP_KEY = "XMP"


class PdfHandler(Handler):
    """Removes metadata and active content from a PDF and writes a complete new file.

    Removal list (kinds in handlers/pdf/policy.py): DocInfo and XMP everywhere (Saitama
    第3 4(3) 属性情報); JavaScript name tree and /JS everywhere; /OpenAction; /AA on any
    object; actions other than in-document GoTo, http(s)/mailto URI, page-navigation Named and
    ResetForm (so Launch, SubmitForm, ImportData, GoToR, GoToE, RichMediaExecute...); XFA;
    embedded and associated files (/EmbeddedFiles, /EF, /AF); /PieceInfo; thumbnails; media
    annotations; catalog, /Names and trailer entries outside their allow-lists (Chiba 2(12)).
    With the profile option ``remove_links`` also every /URI action, link annotations that
    use one, and the catalog's base /URI. Our own label (DocInfo key + XMP packet, label.py)
    is reported as metadata keys, accepted by ``verify`` and removed by ``clean``.
    """

    mime_types = frozenset({PDF_MIME})
    output_mime_types = frozenset({PDF_MIME})
    label_metadata_keys = LABEL_KEYS

    _pdf: Pdf
    _scan: ScanResult

    def _load(self) -> None:
        self._pdf = open_pdf(self._untrusted_data)
        try:
            with pdf_errors("inspected"):
                # The walk is part of validation: a structure too large to walk is refused
                # at open, not half-way through cleaning.
                self._scan = scan(self._pdf, remove_links=self.options.remove_links)
        except BaseException:
            self._pdf.close()
            raise

    def inspect(self) -> Inspection:
        counts = self._scan.counts()
        xmp = (XMP_KEY,) if policy.XMP_METADATA in counts else ()
        label_xmp = (XMP_LABEL_KEY,) if self._scan.label_xmp is not None else ()
        return Inspection(
            mime=PDF_MIME,
            metadata_keys=self._scan.info_keys + xmp + label_xmp,
            active_content={
                k: n for k, n in counts.items() if k not in policy.HIDDEN_DATA_KINDS
            },
            hidden_data={k: n for k, n in counts.items() if k in policy.HIDDEN_DATA_KINDS},
            properties=self._properties(),
        )

    def _properties(self) -> dict[str, PropertyValue]:
        with pdf_errors("inspected"):
            return {
                "pages": len(self._pdf.pages),
                "pdf_version": str(self._pdf.pdf_version),
                "objects": len(self._pdf.objects),
            }

    def extract_text(self) -> str:
        # pypdf reads qpdf's rewrite of the input, not the raw bytes: the classifier then sees
        # the same structure (repaired xref, same objects) that clean() builds the released
        # file from, so a file cannot show the classifier one text and the reader another.
        return extract_pdf_text(save_pdf(self._pdf))

    def _sanitise(self) -> tuple[bytes, dict[str, int]]:
        # A second parse of the original: the instance's own parse stays as it was, so
        # inspect() and extract_text() keep describing the input.
        with open_pdf(self._untrusted_data) as pdf, pdf_errors("cleaned"):
            result = scan(pdf, remove_links=self.options.remove_links)
            remove(result.hazards)
            removed = result.counts()
            if result.has_info and policy.INFO in pdf.trailer:
                del pdf.trailer[policy.INFO]
                removed[policy.DOCUMENT_INFO] = removed.get(policy.DOCUMENT_INFO, 0) + 1
            if result.label_xmp is not None:
                # Our own earlier label is metadata like any other: write_label puts the
                # current one back.
                del pdf.Root[METADATA]
                removed[policy.XMP_METADATA] = removed.get(policy.XMP_METADATA, 0) + 1
            if _ID in pdf.trailer:
                # The original /ID links the output to the source file; qpdf would keep its
                # first half. Without it, a fresh content-derived /ID is written.
                del pdf.trailer[_ID]
                removed["document_id"] = 1
            cleaned = save_pdf(pdf)
        if self.options.remove_links:
            _verify_links_gone(cleaned)
        return cleaned, removed

    def _output_problems(self) -> list[str]:
        """The two copies of our label must agree (or both be absent): a DocInfo label
        without its XMP twin, or the reverse, is not something write_label produced."""
        with pdf_errors("inspected"):
            info_label = docinfo_label(self._pdf)
        xmp_label = self._scan.label_xmp
        if info_label is None and xmp_label is None:
            return []
        if info_label != xmp_label or decode_label(info_label or "") is None:
            return ["label_inconsistent"]
        return []

    @classmethod
    def write_label(cls, cleaned: bytes, stamp: LabelStamp) -> bytes:
        # What leaves is verified on a fresh parse: the labelled file, which must differ
        # from the clean one by the label alone (see OoxmlHandler.write_label for why the
        # input is not verified first as well).
        try:
            labelled = embed_label(cleaned, stamp)
        except (ContentRejected, UnsupportedContent) as exc:
            raise unlabellable(exc) from exc
        cls.verify(labelled)
        with open_pdf(labelled) as pdf, pdf_errors("inspected"):
            pages, stamped = len(pdf.pages), stamped_pages(pdf)
        if stamped != pages or extract_label(labelled) != decode_label(encode_label(stamp.label)):
            raise VerificationFailed("the label did not read back from every place")
        return labelled

    @classmethod
    def read_label(cls, data: bytes) -> dict[str, object] | None:
        return extract_label(data)

    def close(self) -> None:
        self._pdf.close()


def _verify_links_gone(cleaned: bytes) -> None:
    """``verify`` opens outputs with default options, which keep web links; with the
    profile's ``remove_links`` a fresh parse must find none either."""
    with open_pdf(cleaned) as pdf, pdf_errors("verified"):
        left = scan(pdf, remove_links=True).counts()
    if left:
        raise VerificationFailed("the output still contains: " + ", ".join(sorted(left)))
