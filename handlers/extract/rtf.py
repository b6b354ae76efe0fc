"""RTF to text: a small tokenizer and group-state machine (no third-party RTF parser).

What it handles, and why:

* ``\\'hh`` bytes are collected and decoded together in the current code page, so that a
  CP932 double-byte character written as two escapes (``\\'82\\'a0``) becomes one character;
  the code page comes from ``\\ansicpgN`` or the current font's ``\\fcharsetN`` / ``\\cpgN``.
* ``\\uN`` is a UTF-16 code unit (negative values wrap; surrogate pairs are joined), followed
  by ``\\ucN`` fallback characters that are skipped.
* Destinations that are not text (font, colour and style tables, pictures, theme and binary
  data, any unknown ``\\*`` destination) are skipped; ``\\info`` fields become metadata.
* Headers, footers, footnotes, comments (``\\annotation``), field instructions, hidden text
  (``\\v``) and deleted revisions (``\\deleted``) are text and are named in ``parts``.
* ``\\binN`` skips N raw bytes; group nesting is bounded (MAX_RTF_GROUP_DEPTH).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from core.errors import CorruptFile
from handlers.extract.collector import Collector
from handlers.extract.limits import MAX_IMAGE_BYTES, MAX_RTF_GROUP_DEPTH
from handlers.extract.result import LIMIT_EXCEEDED, UNDECODABLE_TEXT, UNSUPPORTED_PART
from handlers.extract.rtfcodes import (
    INFO_FIELDS,
    PEOPLE_DESTINATIONS,
    PICTURE_FORMATS,
    SKIPPED_DESTINATIONS,
    SYMBOL_TEXT,
    TEXT_DESTINATIONS,
    WORD_TEXT,
    codec_for_charset,
    codec_for_codepage,
)
from handlers.limits import MAX_TEXT_BYTES, check_size

_TOKEN = re.compile(
    rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?"  # 1, 2: control word and parameter
    rb"|((?:\\'[0-9a-fA-F]{2})+)"  # 3: a run of hex bytes (one token: CP932 text is mostly these)
    rb"|\\(.)"  # 4: control symbol
    rb"|([{}])"  # 5: group
    rb"|([^\\{}\r\n]+)"  # 6: text run
    rb"|(.)",  # 7: anything else (line ends, a trailing backslash): ignored
    re.DOTALL,
)
_MAX_UC = 10


@dataclass(frozen=True, slots=True)
class _Group:
    """Formatting and destination state, copied on ``{`` and restored on ``}``."""

    destination: str = "body"  # body, a TEXT_DESTINATIONS value, "info:<key>", or "skip"
    codec: str = "cp1252"
    uc: int = 1
    hidden: bool = False
    deleted: bool = False
    fresh: bool = True  # no control word seen yet: the next one may name a destination
    ignorable: bool = False  # the group started with \*


class RtfReader:
    """Tokenizes once and routes text to its destination."""

    def __init__(self, untrusted_data: bytes) -> None:
        self._data = untrusted_data
        self._stack: list[_Group] = []
        self.group = _Group()
        self.texts: dict[str, list[str]] = {}
        self.meta: dict[str, list[str]] = {}
        self.features: set[str] = set()
        self.default_codec = "cp1252"
        self.font_codecs: dict[int, str] = {}
        self._font: int | None = None
        self._pending = bytearray()
        self._units: list[int] = []
        self._skip_fallback = 0
        self.too_deep = False
        self.replaced = False
        self.pictures: list[bytes] = []
        self._picture_hex = bytearray()
        self._picture_format: str | None = None

    def read(self) -> None:
        pos, end = 0, len(self._data)
        while pos < end and not self.too_deep:
            match = _TOKEN.match(self._data, pos)
            assert match is not None  # the last alternative matches any byte
            pos = match.end()
            word, param, hexbytes, symbol, brace, text = match.groups()[:6]
            if word is not None:
                number = int(param) if param is not None else None
                if word == b"bin" and number is not None and number > 0:
                    pos += number  # raw binary data: never text
                self._control_word(word.decode("ascii"), number)
            elif hexbytes is not None:
                self._bytes(bytes.fromhex(hexbytes.replace(b"\\'", b"").decode("ascii")))
            elif symbol is not None:
                self._symbol(symbol.decode("latin-1"))
            elif brace is not None:
                self._brace(brace)
            elif text is not None:
                self._text(text)
        self._flush()

    # --- groups -----------------------------------------------------------------------
    def _brace(self, brace: bytes) -> None:
        self._flush()
        if brace == b"{":
            if len(self._stack) >= MAX_RTF_GROUP_DEPTH:
                self.too_deep = True
                return
            self._stack.append(self.group)
            self.group = replace(self.group, fresh=True, ignorable=False)
        elif self._stack:
            closing = self.group
            self.group = self._stack.pop()
            if closing.destination == "pict" and self.group.destination != "pict":
                self._end_picture()
        self._skip_fallback = 0

    def _end_picture(self) -> None:
        if self._picture_format in {"pngblip", "jpegblip"}:
            try:
                self.pictures.append(bytes.fromhex(self._picture_hex.decode("ascii")))
            except ValueError:
                self.features.add("unsupported_picture")
        elif self._picture_format is not None:
            # WMF/EMF/DIB pictures: no OCR path for vector or device formats.
            self.features.add("unsupported_picture")
        self._picture_hex.clear()
        self._picture_format = None

    # --- control words ----------------------------------------------------------------
    def _control_word(self, word: str, number: int | None) -> None:
        if self.group.fresh:
            self.group = replace(self.group, fresh=False)
            if self._destination(word):
                return
        if self.group.destination == "fonttbl":
            self._font_table(word, number)
            return
        if self.group.destination == "pict":
            if word in PICTURE_FORMATS:
                self._picture_format = word
            return
        if self._skip_fallback and word != "u":
            self._skip_fallback -= 1
            return
        if word == "u":
            # Keep pending \uN units: the next one may be the low half of a surrogate pair.
            self._flush_bytes()
        else:
            self._flush()
        self._formatting(word, number)

    def _destination(self, word: str) -> bool:
        """Handle the first control word of a group; True if it named a destination."""
        if self.group.destination == "skip":
            return True
        if word == "fonttbl":
            self.group = replace(self.group, destination="fonttbl")
        elif word in INFO_FIELDS and self._in_info():
            self.group = replace(self.group, destination=f"info:{INFO_FIELDS[word]}")
        elif word == "info":
            self.group = replace(self.group, destination="info")
        elif word in TEXT_DESTINATIONS:
            self.group = replace(self.group, destination=TEXT_DESTINATIONS[word])
        elif word in PEOPLE_DESTINATIONS:
            self.group = replace(self.group, destination=f"info:{PEOPLE_DESTINATIONS[word]}")
        elif word == "pict":
            self.group = replace(self.group, destination="pict")
        elif word in SKIPPED_DESTINATIONS or self.group.ignorable:
            if word == "objdata":
                self.features.add("embedded_object")
            self.group = replace(self.group, destination="skip")
        else:
            return False
        return True

    def _in_info(self) -> bool:
        return bool(self._stack) and self._stack[-1].destination == "info"

    def _font_table(self, word: str, number: int | None) -> None:
        if word == "f" and number is not None:
            self._font = number
        elif word in {"fcharset", "cpg"} and number is not None and self._font is not None:
            codec = codec_for_charset(number) if word == "fcharset" else codec_for_codepage(
                number)
            if codec is not None:
                self.font_codecs[self._font] = codec

    def _formatting(self, word: str, number: int | None) -> None:
        group = self.group
        if word == "u" and number is not None:
            self._units.append(number % 0x10000)
            self._skip_fallback = group.uc
        elif word in WORD_TEXT:
            self._emit(WORD_TEXT[word])
        elif word == "uc" and number is not None:
            self.group = replace(group, uc=max(0, min(number, _MAX_UC)))
        elif word == "ansicpg" and number is not None:
            self.default_codec = codec_for_codepage(number) or self.default_codec
            self.group = replace(group, codec=self.default_codec)
        elif word == "f" and number is not None:
            self.group = replace(group, codec=self.font_codecs.get(number, self.default_codec))
        elif word == "v":
            self.group = replace(group, hidden=number != 0)
        elif word == "deleted":
            self.group = replace(group, deleted=number != 0)
        elif word == "plain":
            self.group = replace(group, hidden=False, deleted=False)

    def _symbol(self, symbol: str) -> None:
        if symbol == "*":
            self.group = replace(self.group, ignorable=True)
            return
        if self._skip_fallback:
            self._skip_fallback -= 1
            return
        self._flush()
        if symbol in SYMBOL_TEXT:
            self._emit(SYMBOL_TEXT[symbol])

    # --- text -------------------------------------------------------------------------
    def _bytes(self, values: bytes) -> None:
        if self._skip_fallback:
            # Each \'hh is one fallback character of a preceding \uN.
            skipped = min(self._skip_fallback, len(values))
            self._skip_fallback -= skipped
            values = values[skipped:]
        if values:
            self._flush_units()
            self._pending.extend(values)

    def _text(self, run: bytes) -> None:
        if self.group.destination == "fonttbl":
            return
        if self.group.destination == "pict":
            if len(self._picture_hex) <= 2 * MAX_IMAGE_BYTES:
                self._picture_hex.extend(b for b in run if b not in b" \t")
            return
        if self._skip_fallback:
            skipped = min(self._skip_fallback, len(run))
            self._skip_fallback -= skipped
            run = run[skipped:]
        if run:
            self._flush_units()
            self._pending.extend(run)

    def _flush(self) -> None:
        self._flush_units()
        self._flush_bytes()

    def _flush_bytes(self) -> None:
        if self._pending:
            decoded = bytes(self._pending).decode(self.group.codec, errors="replace")
            self.replaced |= "\ufffd" in decoded
            self._pending.clear()
            self._emit(decoded)

    def _flush_units(self) -> None:
        if self._units:
            # Lone surrogates pass through "surrogatepass"; pairs become one character.
            raw = "".join(map(chr, self._units)).encode("utf-16-le", "surrogatepass")
            self._units.clear()
            self._emit(raw.decode("utf-16-le", errors="replace"))

    def _emit(self, text: str) -> None:
        destination = self.group.destination
        if destination in {"skip", "fonttbl", "info"} or not text:
            return
        if destination.startswith("info:"):
            self.meta.setdefault(destination[5:], []).append(text)
            return
        self.texts.setdefault(destination, []).append(text)
        if text.strip():
            if self.group.hidden:
                self.features.add("hidden_text")
            if self.group.deleted:
                self.features.add("tracked_deletions")


def extract_rtf(untrusted_data: bytes, out: Collector) -> None:
    check_size(untrusted_data, MAX_TEXT_BYTES)
    if not untrusted_data.lstrip().startswith(b"{\\rtf"):
        raise CorruptFile("the file does not start with an RTF header")
    reader = RtfReader(untrusted_data)
    reader.read()
    for destination in ("body", *sorted(set(reader.texts) - {"body"})):
        out.add_text("".join(reader.texts.get(destination, [])), destination)
    for feature in sorted(reader.features - {"embedded_object", "unsupported_picture"}):
        out.add_part(feature)
    for key, values in reader.meta.items():
        if key in PEOPLE_DESTINATIONS.values():
            # Table entries end with ";"; Word lists "Unknown" first in its revision table.
            names = [n.strip() for n in "".join(values).split(";")]
            out.add_metadata(key, "; ".join(n for n in names if n and n != "Unknown"))
        else:
            out.add_metadata(key, "".join(values))
    for position, picture in enumerate(reader.pictures, start=1):
        out.add_embedded(picture, f"picture[{position}]")
    if "unsupported_picture" in reader.features:
        out.add_incomplete(UNSUPPORTED_PART, "picture")
    if "embedded_object" in reader.features:
        out.add_incomplete(UNSUPPORTED_PART, "embedded_object")
    if reader.too_deep:
        out.add_incomplete(LIMIT_EXCEEDED, "groups")
    if reader.replaced:
        out.add_incomplete(UNDECODABLE_TEXT, "body")
