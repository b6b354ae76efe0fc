"""HTML to text with the standard library's tokenizer (html.parser: no network, no scripts).

Kept: visible text, the title, link targets (``mailto:`` addresses, intranet URLs), image
alternative text, form values, comments (authors leave notes in them), ``<meta>`` author /
description / keywords / generator. Dropped: script and style bodies. Text hidden with
``hidden`` or ``display:none`` is kept and named ``hidden_elements``: it is in the file.

Encoding: a byte-order mark, then ``<meta charset>`` / ``http-equiv`` in the first bytes, then
the Japanese detection used for plain text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from handlers.extract.collector import Collector
from handlers.extract.plaintext import codec_for_label, decode_text
from handlers.limits import MAX_TEXT_BYTES, check_size

_SKIP_CONTENT = frozenset({"script", "style"})
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt",
    "fieldset", "figcaption", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "title", "tr",
    "ul",
})
_LINK_ATTRIBUTES = {"a": "href", "area": "href", "form": "action", "iframe": "src"}
_TEXT_ATTRIBUTES = ("alt", "title", "placeholder", "value")
_META_NAMES = {"author": "author", "description": "description", "keywords": "keywords",
               "generator": "creator_tool", "copyright": "copyright"}
#: Schemes that are not addresses a person reads (inline data can be megabytes).
_SKIPPED_SCHEMES = ("javascript:", "data:", "#")
#: Where browsers look for a charset declaration (the HTML prescan reads 1024 bytes).
_CHARSET_WINDOW = 4096
_META_CHARSET = re.compile(rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""",
                           re.IGNORECASE)
class HtmlText(HTMLParser):
    """Collects text lines, link targets, comments, title and meta values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.links: list[str] = []
        self.comments: list[str] = []
        self.meta: dict[str, str] = {}
        self.hidden = False
        self._skip = 0
        self._title: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in _SKIP_CONTENT:
            self._skip += 1
        elif tag == "title":
            self._title = []
        elif tag == "meta" and values.get("name", "").lower() in _META_NAMES:
            self.meta[_META_NAMES[values["name"].lower()]] = values.get("content", "")
        if tag in _BLOCKS:
            self.chunks.append("\n")
        link = values.get(_LINK_ATTRIBUTES.get(tag, ""), "").strip()
        if link and not link.lower().startswith(_SKIPPED_SCHEMES):
            self.links.append(link)
        self.chunks.extend(f" {values[a]} " for a in _TEXT_ATTRIBUTES if values.get(a))
        style = values.get("style", "").replace(" ", "").lower()
        if "hidden" in values or "display:none" in style or "visibility:hidden" in style:
            self.hidden = True

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_CONTENT:
            self._skip = max(0, self._skip - 1)
        elif tag == "title" and self._title is not None:
            self.meta["title"] = "".join(self._title)
            self._title = None
        if tag in _BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._title is not None:
            self._title.append(data)
        self.chunks.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.chunks).splitlines())
        return "\n".join(line for line in lines if line)


def html_to_text(html: str, out: Collector, prefix: str = "") -> None:
    """Add an HTML document's text, links, comments and meta values to ``out``."""
    parser = HtmlText()
    parser.feed(html)
    parser.close()
    out.add_text(parser.text(), f"{prefix}body")
    out.add_text("\n".join(dict.fromkeys(parser.links)), f"{prefix}links")
    out.add_text("\n".join(c.strip() for c in parser.comments), f"{prefix}html_comments")
    if parser.hidden:
        out.add_part(f"{prefix}hidden_elements")
    for key, value in parser.meta.items():
        out.add_metadata(f"{prefix}{key}", value)


def decode_html(untrusted_data: bytes, out: Collector) -> str:
    declared = _META_CHARSET.search(untrusted_data[:_CHARSET_WINDOW])
    has_bom = untrusted_data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))
    label = declared.group(1).decode("ascii") if declared and not has_bom else None
    codec = _declared_codec(label) if label else None
    if codec is not None:
        try:
            return untrusted_data.decode(codec)
        except UnicodeError:
            pass  # a wrong declaration: detect from the bytes instead
    return decode_text(untrusted_data, out, "body")


def _declared_codec(label: str) -> str | None:
    # The HTML standard reads a UTF-16/32 <meta> declaration as UTF-8: the bytes that
    # carried an ASCII <meta> tag cannot be UTF-16.
    if label.lower().startswith(("utf-16", "utf-32", "utf16", "utf32")):
        return "utf-8"
    return codec_for_label(label)


def extract_html(untrusted_data: bytes, out: Collector) -> None:
    check_size(untrusted_data, MAX_TEXT_BYTES)
    html_to_text(decode_html(untrusted_data, out), out)
