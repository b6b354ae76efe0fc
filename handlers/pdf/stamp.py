"""The visible label: one header line on every page (Chiba 6.2(2): the classification is
shown in the header/footer; LBL-01).

The line is real text in an embedded, subset Japanese font (fontsubset.py) with a
/ToUnicode map, so pdftotext, pypdf and a viewer's search find it. It is drawn by one Form
XObject per page, placed at the top of the *visible* page (CropBox, /Rotate honoured). The
page's own content is wrapped in q/Q first so that a graphics state it leaves behind cannot
move or hide the stamp.

Everything we add (the two content streams and the form) carries the key /SekishoStamp, so a
relabel removes the old stamp before drawing the new one instead of stacking them.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from pikepdf import Array, Boolean, Dictionary, Name, Object, Page, Pdf, Stream

from handlers.pdf.fontsubset import TrueTypeFont, stamp_font, subset

STAMP_MARK = Name("/SekishoStamp")
#: Font size of the stamp, in points; shrunk (not below the minimum) to fit narrow pages.
FONT_SIZE = 9.0
MIN_FONT_SIZE = 4.0
#: Distance from the top edge of the visible page to the top of the text, in points.
TOP_MARGIN = 6.0
SIDE_MARGIN = 12.0
#: Shown instead of a character the font lacks.
REPLACEMENT = "?"
_MAX_INHERITANCE = 64
_FONT_RESOURCE = "/SekishoF1"
_ROTATIONS = {0, 90, 180, 270}


@dataclass(frozen=True)
class _Line:
    codes: bytes      # Identity-H codes (glyph ids, 2 bytes each)
    width: float      # advance in glyph space (1000 per em)


def apply_stamp(pdf: Pdf, text: str) -> None:
    """Replace any stamp of ours by ``text`` on every page."""
    remove_stamp(pdf)
    font = stamp_font()
    line, used = _layout(font, text)
    font_ref = pdf.make_indirect(_type0_font(pdf, font, used))
    for page in pdf.pages:
        _stamp_page(pdf, page, font_ref, line)


def remove_stamp(pdf: Pdf) -> None:
    """Take out every content stream and form XObject we added."""
    for page in pdf.pages:
        contents = page.obj.get(Name.Contents)
        if isinstance(contents, Array):
            kept = [c for c in contents if not _ours(c)]
            page.obj[Name.Contents] = Array(kept)
        elif isinstance(contents, Stream) and _ours(contents):
            del page.obj[Name.Contents]
        xobjects = page.obj.get(Name.Resources, Dictionary()).get(Name.XObject)
        if isinstance(xobjects, Dictionary):
            for key in [k for k in xobjects.keys() if _ours(xobjects[k])]:
                del xobjects[key]


def stamped_pages(pdf: Pdf) -> int:
    """How many pages draw a stamp of ours (used to check the output)."""
    return sum(1 for page in pdf.pages if any(_ours(x) for x in _page_xobjects(page)))


def _page_xobjects(page: Page) -> Iterator[Object]:
    xobjects = page.obj.get(Name.Resources, Dictionary()).get(Name.XObject)
    if isinstance(xobjects, Dictionary):
        yield from (xobjects[k] for k in xobjects.keys())


def _ours(value: Object) -> bool:
    if not isinstance(value, Stream):
        return False
    # pikepdf hands back Python's True, or a Boolean object in explicit conversion mode.
    mark: object = value.get(STAMP_MARK)
    return mark is True or (isinstance(mark, Boolean) and bool(mark))


def _layout(font: TrueTypeFont, text: str) -> tuple[_Line, dict[int, str]]:
    codes, width = bytearray(), 0
    used: dict[int, str] = {}
    fallback = font.cmap.get(ord(REPLACEMENT), 0)
    # One line: line breaks and tabs become spaces; the ideographic space is kept.
    for char in "".join(" " if c.isspace() and c != "\u3000" else c for c in text).strip():
        gid = font.cmap.get(ord(char), 0)
        if gid == 0:
            gid, char = fallback, REPLACEMENT
        used.setdefault(gid, char)
        codes += gid.to_bytes(2, "big")
        width += font.scaled(font.advances[gid])
    return _Line(bytes(codes), float(width)), used


#: Subset programs already made: font id -> (the font, kept alive so that its id stays
#: its own; glyph set -> program and compressed program).
_PROGRAMS: dict[int, tuple[TrueTypeFont, dict[frozenset[int], tuple[bytes, bytes]]]] = {}
_PROGRAMS_PER_FONT = 64


def _font_program(font: TrueTypeFont, gids: frozenset[int]) -> tuple[bytes, bytes]:
    """The subset program and its compressed form, made once per glyph set: a process
    labels the same few stamp texts again and again (one per level and restriction set),
    and subsetting IPAGothic was half the cost of labelling a small PDF (bench.mail)."""
    _font, made = _PROGRAMS.setdefault(id(font), (font, {}))
    found = made.get(gids)
    if found is None:
        program = subset(font, set(gids))
        found = (program, zlib.compress(program, 9))
        if len(made) >= _PROGRAMS_PER_FONT:
            made.pop(next(iter(made)))  # the oldest glyph set goes first
        made[gids] = found
    return found


def _type0_font(pdf: Pdf, font: TrueTypeFont, used: dict[int, str]) -> Dictionary:
    program, compressed = _font_program(font, frozenset(used))
    tag = "".join(chr(65 + b % 26) for b in zlib.crc32(program).to_bytes(4, "big")) + "SE"
    base = Name(f"/{tag}+{font.name}")
    descriptor = Dictionary(
        Type=Name.FontDescriptor, FontName=base, Flags=4, ItalicAngle=0,
        FontBBox=Array([font.scaled(v) for v in font.bbox]), Ascent=font.scaled(font.ascent),
        Descent=font.scaled(font.descent), CapHeight=font.scaled(font.ascent), StemV=80,
        FontFile2=_flate_stream(pdf, compressed, Length1=len(program)),
    )
    widths = Array()
    for gid in sorted(used):
        widths.append(gid)
        widths.append(Array([font.scaled(font.advances[gid])]))
    cid_font = Dictionary(
        Type=Name.Font, Subtype=Name.CIDFontType2, BaseFont=base,
        CIDSystemInfo=Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor), W=widths, CIDToGIDMap=Name.Identity,
    )
    return Dictionary(Type=Name.Font, Subtype=Name.Type0, BaseFont=base,
                      Encoding=Name("/Identity-H"),
                      DescendantFonts=Array([pdf.make_indirect(cid_font)]),
                      ToUnicode=_compressed(pdf, _to_unicode(used)))


def _compressed(pdf: Pdf, data: bytes, **extra: int) -> Stream:
    return _flate_stream(pdf, zlib.compress(data, 9), **extra)


def _flate_stream(pdf: Pdf, compressed: bytes, **extra: int) -> Stream:
    stream = Stream(pdf, compressed)
    stream[Name.Filter] = Name.FlateDecode
    for key, value in extra.items():
        stream[Name("/" + key)] = value
    return stream


def _to_unicode(used: dict[int, str]) -> bytes:
    entries = [f"<{gid:04X}> <{char.encode('utf-16-be').hex().upper()}>"
               for gid, char in sorted(used.items())]
    chunks = [entries[i:i + 100] for i in range(0, len(entries), 100)]
    body = "".join(f"{len(c)} beginbfchar\n" + "\n".join(c) + "\nendbfchar\n" for c in chunks)
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{body}endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode()


def _stamp_page(pdf: Pdf, page: Page, font_ref: Object, line: _Line) -> None:
    x0, y0, x1, y1, rotation = _visible_box(page)
    width, height = (y1 - y0, x1 - x0) if rotation in (90, 270) else (x1 - x0, y1 - y0)
    size = _fitted_size(line, width)
    text_x = max(SIDE_MARGIN, (width - line.width * size / 1000) / 2)
    text_y = height - TOP_MARGIN - size
    content = (f"q 0 g BT /SekishoF1 {size:.2f} Tf 1 0 0 1 {text_x:.2f} {text_y:.2f} Tm "
               f"<{line.codes.hex().upper()}> Tj ET Q\n").encode()
    form = Stream(pdf, content, Type=Name.XObject, Subtype=Name.Form,
                  BBox=Array([0, 0, width, height]),
                  Resources=Dictionary(Font=Dictionary({_FONT_RESOURCE: font_ref})))
    form[STAMP_MARK] = True
    _own_resources(page)
    name = _free_name(page)
    page.add_resource(pdf.make_indirect(form), Name.XObject, name)
    matrix = " ".join(f"{v:.4f}" for v in _placement(rotation, x0, y0, x1, y1))
    page.contents_add(_marked(pdf, b"q\n"), prepend=True)
    page.contents_add(_marked(pdf, f"Q\nq {matrix} cm {name} Do Q\n".encode()), prepend=False)


def _own_resources(page: Page) -> None:
    """Give the page its own /Resources when it inherits them from the page tree: adding
    ours to a new, empty dictionary would hide the inherited fonts and images."""
    if Name.Resources in page.obj:
        return
    inherited = _inherited(page.obj, Name.Resources)
    page.obj[Name.Resources] = (
        Dictionary({k: inherited[k] for k in inherited.keys()})
        if isinstance(inherited, Dictionary) else Dictionary()
    )


def _free_name(page: Page) -> Name:
    """A resource name for the form that the page does not use (deterministic, so the same
    input gives the same output)."""
    taken = set(_resource_keys(page))
    return next(Name(f"/SekishoStamp{n or ''}") for n in range(len(taken) + 1)
                if f"/SekishoStamp{n or ''}" not in taken)


def _resource_keys(page: Page) -> Iterator[str]:
    xobjects = page.obj.get(Name.Resources, Dictionary()).get(Name.XObject)
    if isinstance(xobjects, Dictionary):
        yield from xobjects.keys()


def _marked(pdf: Pdf, data: bytes) -> Stream:
    stream = Stream(pdf, data)
    stream[STAMP_MARK] = True
    return pdf.make_indirect(stream)


def _fitted_size(line: _Line, width: float) -> float:
    if line.width <= 0:
        return FONT_SIZE
    fit = (width - 2 * SIDE_MARGIN) * 1000 / line.width
    return max(MIN_FONT_SIZE, min(FONT_SIZE, fit))


def _placement(rotation: int, x0: float, y0: float, x1: float, y1: float
               ) -> tuple[float, ...]:
    """The matrix from visible-page coordinates (origin bottom left as displayed) to user
    space, for each /Rotate (clockwise, as viewers apply it)."""
    return {
        0: (1, 0, 0, 1, x0, y0),
        90: (0, 1, -1, 0, x1, y0),
        180: (-1, 0, 0, -1, x1, y1),
        270: (0, -1, 1, 0, x0, y1),
    }[rotation]


def _visible_box(page: Page) -> tuple[float, float, float, float, int]:
    box = _inherited(page.obj, Name.CropBox) or _inherited(page.obj, Name.MediaBox)
    values = [float(v) for v in box] if isinstance(box, Array) and len(box) == 4 else [
        0.0, 0.0, 595.0, 842.0]
    x0, x1 = sorted(values[0::2])
    y0, y1 = sorted(values[1::2])
    rotate = _inherited(page.obj, Name.Rotate)
    rotation = int(rotate) % 360 if rotate is not None and _is_number(rotate) else 0
    return x0, y0, x1, y1, rotation if rotation in _ROTATIONS else 0


def _is_number(value: Object) -> bool:
    try:
        int(value)
    except (TypeError, ValueError):
        return False
    return True


def _inherited(start: Object, key: Name) -> Object | None:
    """A page attribute, looked up through /Parent as ISO 32000 §7.7.3.4 allows."""
    node: Object | None = start
    for _ in range(_MAX_INHERITANCE):
        if not isinstance(node, Dictionary):
            return None
        if key in node:
            return node[key]
        node = node.get(Name.Parent)
    return None
