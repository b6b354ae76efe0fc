"""A Japanese TrueType font, subset to the glyphs a label stamp uses, for embedding in PDF.

The visible stamp (Chiba 6.2(2): the classification shown in the header/footer) is text, so
that it can be read back and searched; Japanese text needs an embedded CJK font to render
the same everywhere. IPAGothic (Debian fonts-ipafont-gothic) is 6 MB; embedding it whole in
every labelled file is not acceptable, so the font is subset here: glyph ids are kept (the
PDF uses Identity-H codes equal to glyph ids, CIDToGIDMap /Identity), and every glyph the
stamp does not use is emptied. Empty glyphs compress to almost nothing.

The font file is a system file, not an upload, but it is still read defensively: every
offset is bounds-checked and composite-glyph expansion is bounded.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigurationError

#: Fonts tried in order (Debian: fonts-ipafont-gothic).
FONT_CANDIDATES = (
    Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"),
    Path("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf"),
)
#: Tables copied into a subset: what a PDF TrueType (CIDFontType2) font program needs.
_KEPT_TABLES = (b"cvt ", b"fpgm", b"glyf", b"head", b"hhea", b"hmtx", b"loca", b"maxp", b"prep")
#: Most components followed when expanding composite glyphs.
_MAX_COMPONENTS = 10_000
_ARG_WORDS, _HAS_SCALE, _MORE, _XY_SCALE, _TWO_BY_TWO = 0x1, 0x8, 0x20, 0x40, 0x80


class StampFontMissing(ConfigurationError):
    code = "stamp_font_missing"
    default_message = "no Japanese TrueType font for the label stamp (fonts-ipafont-gothic)"


@dataclass(frozen=True)
class TrueTypeFont:
    name: str
    data: bytes
    tables: dict[bytes, tuple[int, int]]
    units_per_em: int
    num_glyphs: int
    long_loca: bool
    ascent: int
    descent: int
    bbox: tuple[int, int, int, int]
    advances: tuple[int, ...]
    cmap: dict[int, int]

    def table(self, tag: bytes) -> bytes:
        offset, length = self.tables[tag]
        return self.data[offset:offset + length]

    def scaled(self, value: int) -> int:
        """A font-unit value in PDF glyph space (1000 units per em)."""
        return round(value * 1000 / self.units_per_em)

    def glyph_range(self, gid: int) -> tuple[int, int]:
        loca = self.table(b"loca")
        if self.long_loca:
            start, end = struct.unpack_from(">II", loca, gid * 4)
        else:
            start, end = (2 * v for v in struct.unpack_from(">HH", loca, gid * 2))
        return start, end


@functools.cache
def stamp_font() -> TrueTypeFont:
    """The first installed candidate font, parsed once per process."""
    for path in FONT_CANDIDATES:
        if path.is_file():
            return parse_font(path.read_bytes(), "IPAGothic")
    raise StampFontMissing()


def parse_font(data: bytes, name: str) -> TrueTypeFont:
    try:
        tables = _directory(data)
        head, hhea, maxp = (data[o:o + n] for o, n in (tables[t] for t in
                                                       (b"head", b"hhea", b"maxp")))
        num_glyphs = struct.unpack_from(">H", maxp, 4)[0]
        return TrueTypeFont(
            name=name, data=data, tables=tables,
            units_per_em=struct.unpack_from(">H", head, 18)[0],
            num_glyphs=num_glyphs,
            long_loca=struct.unpack_from(">h", head, 50)[0] == 1,
            ascent=struct.unpack_from(">h", hhea, 4)[0],
            descent=struct.unpack_from(">h", hhea, 6)[0],
            bbox=struct.unpack_from(">hhhh", head, 36),
            advances=_advances(data, tables, struct.unpack_from(">H", hhea, 34)[0], num_glyphs),
            cmap=_unicode_cmap(data, tables[b"cmap"]),
        )
    except (KeyError, struct.error) as exc:
        raise StampFontMissing("the stamp font is not a usable TrueType font") from exc


def _directory(data: bytes) -> dict[bytes, tuple[int, int]]:
    if struct.unpack_from(">I", data, 0)[0] != 0x00010000:
        raise KeyError("not a TrueType (glyf) font")
    count = struct.unpack_from(">H", data, 4)[0]
    tables = {}
    for index in range(count):
        tag, _checksum, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * index)
        if offset + length > len(data):
            raise KeyError("table beyond the end of the font")
        tables[tag] = (offset, length)
    return tables


def _advances(data: bytes, tables: dict[bytes, tuple[int, int]], metrics: int,
              num_glyphs: int) -> tuple[int, ...]:
    offset = tables[b"hmtx"][0]
    widths = [struct.unpack_from(">H", data, offset + 4 * i)[0] for i in range(metrics)]
    return tuple(widths + [widths[-1]] * (num_glyphs - metrics))


def _unicode_cmap(data: bytes, where: tuple[int, int]) -> dict[int, int]:
    """Code point -> glyph id from the (3,10) format-12 or (3,1) format-4 subtable."""
    base = where[0]
    subtables = {}
    for index in range(struct.unpack_from(">H", data, base + 2)[0]):
        platform, encoding, offset = struct.unpack_from(">HHI", data, base + 4 + 8 * index)
        subtables[(platform, encoding)] = base + offset
    if (3, 10) in subtables and struct.unpack_from(">H", data, subtables[(3, 10)])[0] == 12:
        return _format12(data, subtables[(3, 10)])
    return _format4(data, subtables[(3, 1)])


def _format12(data: bytes, offset: int) -> dict[int, int]:
    groups = struct.unpack_from(">I", data, offset + 12)[0]
    mapping = {}
    for index in range(groups):
        first, last, glyph = struct.unpack_from(">III", data, offset + 16 + 12 * index)
        for code in range(first, min(last, 0x10FFFF) + 1):
            mapping[code] = glyph + code - first
    return mapping


def _format4(data: bytes, offset: int) -> dict[int, int]:
    segments = struct.unpack_from(">H", data, offset + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", data, offset + 14)
    starts_at = offset + 16 + 2 * segments
    starts = struct.unpack_from(f">{segments}H", data, starts_at)
    deltas = struct.unpack_from(f">{segments}h", data, starts_at + 2 * segments)
    range_at = starts_at + 4 * segments
    ranges = struct.unpack_from(f">{segments}H", data, range_at)
    mapping = {}
    for i in range(segments):
        for code in range(starts[i], ends[i] + 1):
            if ranges[i] == 0:
                glyph = (code + deltas[i]) & 0xFFFF
            else:
                at = range_at + 2 * i + ranges[i] + 2 * (code - starts[i])
                glyph = struct.unpack_from(">H", data, at)[0]
                glyph = (glyph + deltas[i]) & 0xFFFF if glyph else 0
            if glyph:
                mapping[code] = glyph
    return mapping


def with_components(font: TrueTypeFont, gids: set[int]) -> set[int]:
    """``gids`` plus every glyph their composite glyphs are built from, and .notdef."""
    wanted, pending = {0}, list(gids)
    glyf = font.table(b"glyf")
    while pending:
        gid = pending.pop()
        if gid in wanted or not 0 <= gid < font.num_glyphs:
            continue
        wanted.add(gid)
        if len(wanted) > _MAX_COMPONENTS:
            raise StampFontMissing("the stamp font's composite glyphs do not terminate")
        start, end = font.glyph_range(gid)
        if end - start >= 10 and struct.unpack_from(">h", glyf, start)[0] < 0:
            pending.extend(_components(glyf, start + 10, end))
    return wanted


def _components(glyf: bytes, at: int, end: int) -> list[int]:
    found = []
    while at + 4 <= end:
        flags, component = struct.unpack_from(">HH", glyf, at)
        found.append(component)
        at += 4 + (4 if flags & _ARG_WORDS else 2)
        at += 2 if flags & _HAS_SCALE else 4 if flags & _XY_SCALE else 8 if (
            flags & _TWO_BY_TWO) else 0
        if not flags & _MORE:
            break
    return found


def subset(font: TrueTypeFont, gids: set[int]) -> bytes:
    """A TrueType font program with the same glyph ids where only ``gids`` have outlines."""
    keep = with_components(font, gids)
    glyf_in = font.table(b"glyf")
    glyf, offsets = bytearray(), []
    for gid in range(font.num_glyphs):
        offsets.append(len(glyf))
        if gid in keep:
            start, end = font.glyph_range(gid)
            glyf += glyf_in[start:end]
            glyf += b"\x00" * (-len(glyf) % 4)
    offsets.append(len(glyf))
    loca = struct.pack(f">{len(offsets)}I", *offsets)
    head = bytearray(font.table(b"head"))
    struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment: set once the file is assembled
    struct.pack_into(">h", head, 50, 1)  # indexToLocFormat: long offsets
    tables = {tag: font.table(tag) for tag in _KEPT_TABLES if tag in font.tables}
    tables.update({b"glyf": bytes(glyf), b"loca": loca, b"head": bytes(head),
                   b"hmtx": _subset_hmtx(font, keep)})
    return _assemble(tables)


def _subset_hmtx(font: TrueTypeFont, keep: set[int]) -> bytes:
    """Horizontal metrics with every unused glyph's entry zeroed: the PDF carries its own
    widths (/W), and zeros compress away (the full table is 50 KB for IPAGothic)."""
    hmtx = font.table(b"hmtx")
    metrics = struct.unpack_from(">H", font.table(b"hhea"), 34)[0]
    out = bytearray(len(hmtx))
    for gid in keep:
        start = 4 * gid if gid < metrics else 4 * metrics + 2 * (gid - metrics)
        size = 4 if gid < metrics else 2
        out[start:start + size] = hmtx[start:start + size]
    return bytes(out)


def _assemble(tables: dict[bytes, bytes]) -> bytes:
    tags = sorted(tables)
    count = len(tags)
    power = 1 << (count.bit_length() - 1)
    header = struct.pack(">IHHHH", 0x00010000, count, power * 16, power.bit_length() - 1,
                         count * 16 - power * 16)
    offset = 12 + 16 * count
    records, body = b"", b""
    for tag in tags:
        data = tables[tag]
        records += struct.pack(">4sIII", tag, _checksum(data), offset + len(body), len(data))
        body += data + b"\x00" * (-len(data) % 4)
    font = bytearray(header + records + body)
    head_at = offset + sum(len(tables[t]) + (-len(tables[t]) % 4) for t in tags[:tags.index(
        b"head")])
    struct.pack_into(">I", font, head_at + 8, (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF)
    return bytes(font)


def _checksum(data: bytes) -> int:
    padded = data + b"\x00" * (-len(data) % 4)
    words: tuple[int, ...] = struct.unpack(f">{len(padded) // 4}I", padded)
    return sum(words) & 0xFFFFFFFF
