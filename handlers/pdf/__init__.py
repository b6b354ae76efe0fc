"""PDF handler family: sanitising with pikepdf (qpdf), text extraction with pypdf."""

from handlers.pdf.handler import PdfHandler

__all__ = ["PdfHandler"]
