"""HTML to plain text for 無害化 (Chiba 2(12): mail bodies and web pages turned into text).

Only text is emitted, so scripts, styles, event handlers, frames, forms, embedded objects and
remote resources (web beacons, stylesheets) are gone by construction: nothing of the markup
survives to be interpreted. What is counted here is only for the report (``inspect``).

Kept as text: visible text with line breaks at block boundaries, list items, table cells
separated by tabs, image alternative text as ``[alt]``, and link targets as ``label (URL)``
(http, https and mailto only; ``CleanOptions.remove_links`` drops them). Showing the target
beside the label also shows a phishing link for what it is. Text hidden with ``hidden`` or
CSS is kept (it becomes visible) and reported as ``hidden_text`` for the profile to judge.
Dropped: script, style and template bodies, the title and ``<meta>`` values (metadata),
comments.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

from handlers.extract.html import _BLOCKS

#: Schemes a link target may keep (the same rule as kept PDF /URI actions).
SAFE_LINK_SCHEMES = ("http", "https", "mailto")
#: Schemes that run code when followed.
SCRIPT_SCHEMES = ("javascript", "vbscript")

_SKIP_CONTENT = frozenset({"script", "style", "template", "title"})
_BLOCK_TAGS = _BLOCKS - {"td", "th", "li", "br", "title"}
#: Blocks set apart by a blank line; other blocks (and br, li) start a new line.
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table", "ul", "ol",
                         "dl", "blockquote", "hr", "form", "fieldset", "figure"}) & _BLOCK_TAGS
_FRAMES = frozenset({"iframe", "frame", "frameset"})
_OBJECTS = frozenset({"object", "embed", "applet"})
#: Attributes that make a browser fetch something when the page is shown.
_FETCH_ATTRIBUTES = ("src", "srcset", "background", "poster", "data", "lowsrc", "dynsrc",
                     "ping", "codebase", "xlink:href")
#: Attributes holding a URL that is followed when the element is used.
_URL_ATTRIBUTES = frozenset({"href", "action", "formaction", *_FETCH_ATTRIBUTES})
#: ``<meta name>`` values reported by name (the vocabulary of handlers/extract/html.py);
#: other names are the author's choice and are only counted.
_META_NAMES = frozenset({"author", "description", "keywords", "generator", "copyright"})
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_HIDING_STYLES = ("display:none", "visibility:hidden", "font-size:0")
#: Output chunks after a link's start that are compared with its target.
_LABEL_CHUNKS = 256


@dataclass
class Conversion:
    """The text of an HTML document and what the conversion left behind, by kind."""

    text: str
    active: Counter[str] = field(default_factory=Counter)
    hidden: Counter[str] = field(default_factory=Counter)
    metadata_keys: set[str] = field(default_factory=set)
    hidden_elements: int = 0
    links: int = 0


def clean_url(untrusted_url: str) -> str:
    """The URL as a browser reads it: whitespace and control characters inside removed."""
    url = "".join(untrusted_url.split())
    return url if url.isprintable() else "".join(filter(str.isprintable, url))


def url_scheme(url: str) -> str | None:
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else None


class HtmlToText(HTMLParser):
    """Streams HTML into text lines and counts what the text leaves behind."""

    def __init__(self, *, keep_links: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.keep_links = keep_links
        self.result = Conversion(text="")
        self._out: list[str] = []
        self._newlines = 1  # line breaks at the end of the output; the start counts as one
        self._skip = 0
        self._pre = 0
        self._anchors: list[tuple[str | None, int]] = []

    # --- markup ----------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self._count_element(tag, values)
        if tag in _SKIP_CONTENT:
            self._skip += 1
        elif tag == "pre":
            self._pre += 1
        if tag in _BLOCK_TAGS:
            self._break(tag)
        elif tag == "br":
            self._emit("\n")
        elif tag == "li":
            self._break(tag)
            self._emit("・")
        elif tag in {"td", "th"} and not self._newlines:
            self._emit("\t")
        elif tag == "img" and values.get("alt", "").strip():
            self._emit_text(f"[{values['alt'].strip()}]")
        if tag in {"a", "area"}:
            self._open_anchor(tag, values)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_CONTENT:
            self._skip = max(0, self._skip - 1)
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        elif tag == "a" and self._anchors:
            self._close_anchor()
        if tag in _BLOCK_TAGS:
            self._break(tag)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._emit_text(data)

    def handle_comment(self, data: str) -> None:
        self.result.hidden["html_comment"] += 1

    def close(self) -> None:
        super().close()
        while self._anchors:
            self._close_anchor()
        self.result.text = _tidy("".join(self._out))

    # --- counting --------------------------------------------------------------------------

    def _count_element(self, tag: str, values: dict[str, str]) -> None:
        active, hidden = self.result.active, self.result.hidden
        kinds = {"script": active, "form": active, "style": hidden, "base": hidden,
                 "link": hidden}
        if tag in kinds:
            kinds[tag][{"base": "base_url", "link": "link_element"}.get(tag, tag)] += 1
        elif tag in _FRAMES:
            active["frame"] += 1
        elif tag in _OBJECTS:
            active["embedded_object"] += 1
        elif tag == "meta":
            self._count_meta(values)
        elif tag == "title":
            self.result.metadata_keys.add("title")
        active["event_handler"] += sum(1 for name in values if name.startswith("on"))
        if "style" in values:
            hidden["inline_style"] += 1
        self._count_urls(tag, values)
        style = values.get("style", "").replace(" ", "").lower()
        if "hidden" in values or any(s in style for s in _HIDING_STYLES):
            self.result.hidden_elements += 1

    def _count_meta(self, values: dict[str, str]) -> None:
        if values.get("http-equiv", "").strip().lower() == "refresh":
            self.result.active["meta_refresh"] += 1
        name = values.get("name", "").strip().lower()
        if name in _META_NAMES:
            self.result.metadata_keys.add(f"meta:{name}")
        elif name or "property" in values:
            self.result.hidden["meta"] += 1

    def _count_urls(self, tag: str, values: dict[str, str]) -> None:
        for name in _URL_ATTRIBUTES.intersection(values):
            url = clean_url(values[name])
            scheme = url_scheme(url)
            if scheme in SCRIPT_SCHEMES:
                self.result.active["javascript_url"] += 1
            elif scheme == "data":
                self.result.hidden["inline_data"] += 1
            elif (name in _FETCH_ATTRIBUTES or tag == "link") and (
                    scheme in {"http", "https"} or url.startswith("//")):
                self.result.hidden["remote_resource"] += 1

    # --- links -----------------------------------------------------------------------------

    def _open_anchor(self, tag: str, values: dict[str, str]) -> None:
        url = clean_url(values.get("href", ""))
        kept = url if url_scheme(url) in SAFE_LINK_SCHEMES else None
        if kept is not None:
            self.result.links += 1
        if tag == "area":
            self._emit_text(values.get("alt", "").strip())
            self._anchors.append((kept, len(self._out)))
            self._close_anchor()
        else:
            self._anchors.append((kept, len(self._out)))

    def _close_anchor(self) -> None:
        url, start = self._anchors.pop()
        if url is None or not self.keep_links:
            return
        # A bounded look at the label: unclosed anchors nest without limit in hostile HTML,
        # and joining everything after each would be quadratic.
        label = " ".join("".join(self._out[start:start + _LABEL_CHUNKS]).split())
        if not label:
            self._emit_text(f" {url}")
        elif url not in label and url.removeprefix("mailto:") not in label:
            self._emit_text(f" ({url})")

    # --- output ----------------------------------------------------------------------------

    def _emit(self, text: str) -> None:
        self._out.append(text)
        stripped = text.rstrip("\n")
        trailing = len(text) - len(stripped)
        self._newlines = self._newlines + trailing if not stripped else trailing

    def _emit_text(self, data: str) -> None:
        if self._pre:
            self._emit(data)
            return
        collapsed = _HTML_SPACE.sub(" ", data)
        if self._newlines or (self._out and self._out[-1].endswith((" ", "\t"))):
            collapsed = collapsed.lstrip(" ")
        if collapsed:
            self._emit(collapsed)

    def _break(self, tag: str) -> None:
        """End the current line; paragraphs also leave one blank line."""
        wanted = 2 if tag in _PARAGRAPHS else 1
        if self._newlines < wanted:
            self._emit("\n" * (wanted - self._newlines))


def _tidy(text: str) -> str:
    lines = [line.rstrip(" \t") for line in text.split("\n")]
    tidy = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return tidy + "\n" if tidy else ""


def html_to_text(html: str, *, keep_links: bool = True) -> Conversion:
    """Convert an HTML document to text; see the module docstring for what is kept."""
    parser = HtmlToText(keep_links=keep_links)
    parser.feed(html)
    parser.close()
    return parser.result
