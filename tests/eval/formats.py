"""The three evaluated formats of a generated document, with gold spans on the text the
classifier actually sees.

- text: ``Document.text`` as is; the spans are the generator's.
- DOCX: the paragraphs (a paragraph holding a line break becomes one paragraph per line),
  and tables through ``tests.fixtures.officegen.make_docx``; then
  ``handlers.extract.extract(data, DOCX_MIME).text``.
- PDF: ``Document.text`` with table cells separated by an ideographic space, drawn by
  ``tests.fixtures.pdfgen.make_text_pdf``; then ``handlers.extract.extract(data,
  "application/pdf").text``.

How spans are found in extracted text (``locate``): each span's string becomes a pattern in
which every whitespace run may be any whitespace or none (extraction may turn a line break
inside a broken number into a space, or a paragraph break, or drop it); all occurrences of
the pattern, overlapping ones included, are listed in the source text and in the extracted
text, and a span that is the k-th occurrence in the source is put on the k-th occurrence in
the extracted text. Ranking per string (rather than one cursor through the document) keeps
this right when an extractor emits tables after the paragraphs, or headers first. A span
whose k-th occurrence does not exist was lost by extraction: a lost gold span counts as a
false negative, and the runner prints how many there were.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from dataclasses import dataclass

from tests.eval.generator import Document, Paragraph, Span, cell_text, paragraph_text

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MIME = "application/pdf"
FORMATS = ("text", "docx", "pdf")


@dataclass(frozen=True)
class EvalDoc:
    doc_id: str
    fmt: str
    text: str
    spans: tuple[Span, ...]
    lost: tuple[Span, ...] = ()
    incomplete: bool = False
    error: str | None = None  # extraction failed: every span is lost

    @property
    def gold(self) -> tuple[Span, ...]:
        return tuple(s for s in self.spans if s.is_gold)

    @property
    def decoys(self) -> tuple[Span, ...]:
        return tuple(s for s in self.spans if not s.is_gold)


class FormatUnavailable(Exception):
    """A builder or extractor another part of the project provides is not there (yet)."""


def _flexible(text: str) -> str:
    return "".join(r"\s*" if part.isspace() else re.escape(part)
                   for part in re.split(r"(\s+)", text) if part)


def _occurrences(pattern: str, text: str) -> list[tuple[int, int]]:
    return [(m.start(1), m.end(1)) for m in re.finditer(f"(?=({pattern}))", text)]


def locate(source: str, spans: tuple[Span, ...], extracted: str
           ) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """(spans moved onto ``extracted``, spans not found there). See the module docstring."""
    found: list[Span] = []
    lost: list[Span] = []
    cache: dict[str, tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {}
    for span in spans:
        pattern = _flexible(span.text)
        if pattern not in cache:
            cache[pattern] = (_occurrences(pattern, source), _occurrences(pattern, extracted))
        in_source, in_extracted = cache[pattern]
        rank = [start for start, _ in in_source].index(span.start)
        if rank < len(in_extracted):
            start, end = in_extracted[rank]
            found.append(dataclasses.replace(span, start=start, end=end,
                                             text=extracted[start:end]))
        else:
            lost.append(span)
    return tuple(found), tuple(lost)


def as_text(doc: Document) -> EvalDoc:
    return EvalDoc(doc.doc_id, "text", doc.text, doc.spans)


def _extract(data: bytes, mime: str) -> tuple[str, bool]:
    try:
        from handlers.extract import extract
    except ImportError as exc:
        raise FormatUnavailable(f"handlers.extract is not available ({exc})") from exc
    result = extract(data, mime)
    return result.text, bool(getattr(result, "incomplete", False))


def _make_docx_builder() -> tuple[object, bool]:
    try:
        from tests.fixtures.officegen import make_docx
    except ImportError as exc:
        raise FormatUnavailable(f"tests.fixtures.officegen.make_docx is not available ({exc})"
                                ) from exc
    return make_docx, "tables" in inspect.signature(make_docx).parameters


def docx_bytes(doc: Document) -> bytes:
    """Native DOCX tables when ``make_docx`` takes ``tables=`` (list of tables, each a list
    of rows of cell strings), otherwise each table row as a tab-separated paragraph."""
    make_docx, native_tables = _make_docx_builder()
    paragraphs: list[str] = []
    tables: list[list[list[str]]] = []
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            paragraphs.extend(paragraph_text(block).split("\n"))
            continue
        rows = [[cell_text(cell) for cell in row] for row in block.rows]
        if native_tables:
            tables.append(rows)
        else:
            paragraphs.extend("\t".join(row) for row in rows)
    if native_tables:
        return make_docx(paragraphs, tables=tables)  # type: ignore[operator]
    return make_docx(paragraphs)  # type: ignore[operator]


def docx_tables_native() -> bool:
    return _make_docx_builder()[1]


def pdf_source(doc: Document) -> str:
    return doc.text.replace("\t", "\u3000")


def pdf_bytes(doc: Document) -> bytes:
    from tests.fixtures.pdfgen import make_text_pdf

    return make_text_pdf(pdf_source(doc))


def as_docx(doc: Document) -> EvalDoc:
    text, incomplete = _extract(docx_bytes(doc), DOCX_MIME)
    spans, lost = locate(doc.text, doc.spans, text)
    return EvalDoc(doc.doc_id, "docx", text, spans, lost, incomplete)


def as_pdf(doc: Document) -> EvalDoc:
    source = pdf_source(doc)
    text, incomplete = _extract(pdf_bytes(doc), PDF_MIME)
    # The tab -> ideographic space swap keeps every offset, so the spans hold on ``source``.
    spans, lost = locate(source, doc.spans, text)
    return EvalDoc(doc.doc_id, "pdf", text, spans, lost, incomplete)


CONVERTERS = {"text": as_text, "docx": as_docx, "pdf": as_pdf}


def convert(doc: Document, fmt: str) -> EvalDoc:
    """``CONVERTERS[fmt](doc)``; an extraction failure is a result (nothing could be read,
    every gold span is a false negative), a missing builder or extractor raises
    FormatUnavailable."""
    try:
        return CONVERTERS[fmt](doc)
    except FormatUnavailable:
        raise
    except Exception as exc:  # the extractor's failure is what we measure, not a crash
        return EvalDoc(doc.doc_id, fmt, "", (), doc.spans, True,
                       f"{type(exc).__name__}: {exc}")
