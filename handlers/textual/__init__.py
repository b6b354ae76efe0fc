"""Text-like formats beside plain text (handlers/text.py): CSV and HTML.

``CsvHandler`` (text/csv) neutralises formula cells; ``HtmlHandler`` (text/html) converts
HTML into plain text (the 無害化 of Chiba 2(12)) whose output ``TextHandler`` verifies and
labels. Plain text itself stays in ``handlers.text``: the extractors import its decoder, and
it must not import this package (HTML reuses the extractors' HTML reader).
"""

from handlers.textual.csvfile import CsvHandler
from handlers.textual.html import HtmlHandler

__all__ = ["CsvHandler", "HtmlHandler"]
