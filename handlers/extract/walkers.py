"""Streaming text walkers over XML parse events (see xmlsafe.parse_xml).

``TextWalker`` is the generic one: character data inside a paragraph element (``w:p``,
``a:p``, ``text:p``, ``text:h``) is concatenated, because Office splits one word over many
runs (a phone number typed in two edits is two runs); character data outside paragraphs (chart
values, custom XML) ends a line at each element, so that separate values never fuse into one
longer number the classifier would misread.

Format walkers subclass it to record which side parts the text came from (``features``) and
who is named in revision and comment attributes (``people``).
"""

from __future__ import annotations

from collections import defaultdict

#: Elements whose content is one paragraph of running text.
PARAGRAPH_ELEMENTS = frozenset({"p", "h"})
#: Empty elements that stand for a character.
CHARACTER_ELEMENTS = {"br": "\n", "cr": "\n", "line-break": "\n", "tab": "\t"}
#: Attributes that name a person on revision marks and comments (w:author, p:cmAuthor name).
AUTHOR_ATTRIBUTES = ("author",)
_FORMATTING_PARENTS = frozenset({"tabs", "pPr", "rPr"})


class TextWalker:
    """Collects text lines; subclasses override ``accepts`` and the ``on_*`` hooks."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.lines: list[str] = []
        self.features: set[str] = set()
        self.people: defaultdict[str, set[str]] = defaultdict(set)
        self.root_attrs: dict[str, str] = {}
        self._buffer: list[str] = []
        self._paragraph_depth = 0

    # --- XmlTarget protocol ---------------------------------------------------------------
    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if not self.stack:
            self.root_attrs = attrs
        # A w:tab inside w:tabs (tab stops) or a property element is formatting, not text.
        parent = self.stack[-1] if self.stack else "tabs"
        self.on_start(tag, attrs)
        self.stack.append(tag)
        if tag in PARAGRAPH_ELEMENTS:
            self.flush()
            self._paragraph_depth += 1
        elif tag in CHARACTER_ELEMENTS and parent not in _FORMATTING_PARENTS:
            self._buffer.append(CHARACTER_ELEMENTS[tag])

    def end(self, tag: str) -> None:
        if self.stack:
            self.stack.pop()
        self.on_end(tag)
        if tag in PARAGRAPH_ELEMENTS:
            self._paragraph_depth = max(0, self._paragraph_depth - 1)
            self.flush()
        elif self._paragraph_depth == 0:
            self.flush()

    def data(self, text: str) -> None:
        if self.accepts():
            self._buffer.append(text)
            self.on_text()

    # --- hooks ----------------------------------------------------------------------------
    def on_start(self, tag: str, attrs: dict[str, str]) -> None:
        """Called before ``tag`` is pushed (``self.stack[-1]`` is its parent)."""

    def on_end(self, tag: str) -> None:
        """Called after ``tag`` is popped."""

    def on_text(self) -> None:
        """Called after accepted character data was added (the flags say where it was)."""

    def accepts(self) -> bool:
        """Whether character data at the current position is document text."""
        return True

    # --- results --------------------------------------------------------------------------
    def flush(self) -> None:
        line = "".join(self._buffer)
        self._buffer.clear()
        if line.strip():
            self.lines.append(line)

    def text(self) -> str:
        self.flush()
        return "\n".join(self.lines)

    def separate(self) -> None:
        """End a word here without ending the line (around deleted revision text)."""
        if self._buffer and not self._buffer[-1][-1:].isspace():
            self._buffer.append(" ")

    def note_people(self, role: str, attrs: dict[str, str]) -> None:
        for name in AUTHOR_ATTRIBUTES:
            if attrs.get(name, "").strip():
                self.people[role].add(attrs[name].strip())


def is_off(value: str | None) -> bool:
    """OOXML on/off attribute: absent means on; "0", "false", "off" mean off."""
    return value is not None and value.strip().lower() in {"0", "false", "off"}
