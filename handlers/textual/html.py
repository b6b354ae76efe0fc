"""HtmlHandler: HTML in, plain text out (無害化, Chiba 2(12)).

A converting handler: ``clean()`` returns UTF-8 text that ``TextHandler`` verifies and labels
(``output_verifier``). The conversion is in handlers/textual/htmltext.py. Decoding follows
the classifier's HTML reader (byte-order mark, then ``<meta charset>``, then the Japanese
detection of plain text) but refuses bytes that decode only with losses: the output is a
new file, and silently replaced characters would change what it says.
"""

from __future__ import annotations

from core.errors import UnsupportedContent
from handlers.base import Handler, Inspection, LabelStamp
from handlers.detect import sniff_mime
from handlers.extract.collector import Collector, Context
from handlers.extract.html import decode_html
from handlers.extract.result import Extraction
from handlers.limits import MAX_TEXT_BYTES, check_size
from handlers.text import TEXT_PLAIN, TextHandler, UnsupportedTextEncoding, normalise_text
from handlers.textual.htmltext import Conversion, html_to_text

TEXT_HTML = "text/html"
#: Full-width brackets for text that would otherwise read as markup again.
_MARKUP_DEFUSED = str.maketrans({"<": "＜", ">": "＞"})


def decode_html_strictly(untrusted_data: bytes) -> str:
    """The HTML's text; UnsupportedTextEncoding when only a lossy decoding exists."""
    out = Collector(TEXT_HTML, Context(ocr=False, recurse=no_nested_content))
    text = decode_html(untrusted_data, out)
    if out.result().incomplete:
        raise UnsupportedTextEncoding("the HTML is not in a supported encoding")
    return text


def no_nested_content(untrusted_data: bytes, mime: str, context: Context) -> Extraction:
    # decode_html never recurses; the Collector only needs a dispatcher to exist.
    raise UnsupportedContent("HTML decoding does not read nested content")


def _defused(text: str, removed: dict[str, int]) -> str:
    """Escaped markup in the page (``&lt;script&gt;`` in a page about HTML) is markup again
    once it is text, and content-type detection then calls the text HTML. Such text gets
    full-width brackets: it still reads the same, and no reader takes it for HTML."""
    if sniff_mime(text.encode("utf-8")) in TextHandler.output_mime_types:
        return text
    removed["markup_lookalike"] = text.count("<") + text.count(">")
    return text.translate(_MARKUP_DEFUSED)


class HtmlHandler(Handler):
    """text/html converted to text/plain; nothing of the markup reaches the output."""

    mime_types = frozenset({TEXT_HTML})
    output_mime_types = TextHandler.output_mime_types

    _conversion: Conversion

    def _load(self) -> None:
        check_size(self._untrusted_data, MAX_TEXT_BYTES)
        html = decode_html_strictly(self._untrusted_data)
        self._conversion = html_to_text(html, keep_links=not self.options.remove_links)

    def inspect(self) -> Inspection:
        conversion = self._conversion
        return Inspection(
            mime=TEXT_HTML,
            metadata_keys=tuple(sorted(conversion.metadata_keys)),
            active_content={k: n for k, n in conversion.active.items() if n},
            hidden_data={k: n for k, n in conversion.hidden.items() if n},
            properties={"links": conversion.links, "characters": len(conversion.text)},
            notices={"hidden_text": conversion.hidden_elements}
            if conversion.hidden_elements else {},
        )

    def extract_text(self) -> str:
        return self._conversion.text

    def _sanitise(self) -> tuple[bytes, dict[str, int]]:
        text, removed = normalise_text(self._conversion.text)
        removed.update(self.inspect().removable())
        removed.update({key: 1 for key in self._conversion.metadata_keys})
        # The markup itself is what the conversion removes, whatever else was found.
        removed["html_markup"] = 1
        if self.options.remove_links and self._conversion.links:
            removed["hyperlink"] = self._conversion.links
        return _defused(text, removed).encode("utf-8"), removed

    def output_mime(self) -> str:
        return TEXT_PLAIN

    def output_verifier(self) -> type[Handler]:
        return TextHandler

    @classmethod
    def verify(cls, cleaned: bytes) -> Inspection:
        # Output is text: it is judged as text, never re-read as HTML.
        return TextHandler.verify(cleaned)

    @classmethod
    def write_label(cls, cleaned: bytes, stamp: LabelStamp) -> bytes:
        return TextHandler.write_label(cleaned, stamp)

    @classmethod
    def read_label(cls, data: bytes) -> dict[str, object] | None:
        return TextHandler.read_label(data)


