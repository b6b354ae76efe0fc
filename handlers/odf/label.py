"""The visible label line in ODF documents (Chiba 6.2(2): the classification is shown in
the header/footer; LBL-01). The machine-readable label goes into meta.xml (handlers/odf/meta.py).

Text documents and spreadsheets: a centred paragraph at the top of the header of every
master page (page style), headers switched on where they were off, and the page styles the
document uses by default (Writer's "Standard", Calc's "Default") created when missing.
Presentations: a text frame across the top of every master slide, on the background-objects
layer, and slides are no longer allowed to hide background objects (otherwise a slide could
hide the label). Relabelling replaces our paragraph or frame (found by its style or frame
name) instead of adding a second one.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, SubElement

from handlers.odf.names import DRAW, FO, OFFICE, PRESENTATION, STYLE, SVG, TEXT, qn
from handlers.odf.xmltree import remove

LABEL_STYLE = "Sekisho_20_Label"
LABEL_FRAME = "SekishoLabel"
_MASTER_STYLES = qn(OFFICE, "master-styles")
_MASTER_PAGE = qn(STYLE, "master-page")
_STYLE_NAME = qn(STYLE, "name")
_DISPLAY = qn(STYLE, "display")
_HEADER = qn(STYLE, "header")
_EXTRA_HEADERS = (qn(STYLE, "header-left"), qn(STYLE, "header-first"))
_REGIONS = (qn(STYLE, "region-left"), qn(STYLE, "region-center"), qn(STYLE, "region-right"))
_PARAGRAPH = qn(TEXT, "p")
_PARAGRAPH_STYLE = qn(TEXT, "style-name")
_DRAW_NAME = qn(DRAW, "name")
_FRAME = qn(DRAW, "frame")
_NOTES = qn(PRESENTATION, "notes")
_BACKGROUND_VISIBLE = qn(PRESENTATION, "background-objects-visible")
_PAGE_WIDTH = qn(FO, "page-width")
_PAGE_LAYOUT = qn(STYLE, "page-layout")
_PAGE_LAYOUT_NAME = qn(STYLE, "page-layout-name")
_PAGE_LAYOUT_PROPERTIES = qn(STYLE, "page-layout-properties")
_HEADER_STYLE = qn(STYLE, "header-style")
LABEL_PAGE_LAYOUT = "Sekisho_Page"
_LENGTH = re.compile(r"\d{1,5}(?:\.\d{1,6})?(?:cm|mm|in|pt|pc)")
_DEFAULT_SLIDE_WIDTH = "28cm"
#: Order of office:document-styles children (office:styles must precede the others).
_STYLES_ORDER = (qn(OFFICE, "font-face-decls"), qn(OFFICE, "styles"),
                 qn(OFFICE, "automatic-styles"), _MASTER_STYLES)


def stamp_page_headers(styles: Element, visible: str, page_styles: set[str]) -> None:
    """Our line at the top of every master page's header (text documents, spreadsheets)."""
    _ensure_label_style(styles)
    for master in _master_pages(styles, page_styles):
        header = master.find(_HEADER)
        if header is None:
            header = Element(_HEADER)
            master.insert(0, header)
        header.attrib.pop(_DISPLAY, None)  # a switched-off header would hide the label
        _ensure_header_area(styles, master)
        _stamp_header(header, visible)
        for extra in (master.find(tag) for tag in _EXTRA_HEADERS):
            if extra is not None and extra.get(_DISPLAY) != "false":
                _stamp_header(extra, visible)


def _stamp_header(header: Element, visible: str) -> None:
    for holder in [header, *header]:
        for paragraph in [p for p in holder if p.tag == _PARAGRAPH]:
            if paragraph.get(_PARAGRAPH_STYLE) == LABEL_STYLE:
                remove(holder, paragraph)
    regions = {child.tag: child for child in header if child.tag in _REGIONS}
    target = header
    if regions:
        target = regions.get(_REGIONS[1]) or Element(_REGIONS[1])
        if _REGIONS[1] not in regions:
            header.insert(1 if _REGIONS[0] in regions else 0, target)
    line = Element(_PARAGRAPH, {_PARAGRAPH_STYLE: LABEL_STYLE})
    line.text = visible
    target.insert(0, line)


def _ensure_header_area(styles: Element, master: Element) -> None:
    """Calc prints a page style's header only when its page layout declares a header area
    (``style:header-style``); Writer does not need one but honours it the same way."""
    name = master.get(_PAGE_LAYOUT_NAME) or LABEL_PAGE_LAYOUT
    master.set(_PAGE_LAYOUT_NAME, name)
    layout = next((lay for lay in styles.iter(_PAGE_LAYOUT) if lay.get(_STYLE_NAME) == name),
                  None)
    if layout is None:
        layout = SubElement(_child(styles, qn(OFFICE, "automatic-styles")), _PAGE_LAYOUT,
                            {_STYLE_NAME: name})
    if layout.find(_HEADER_STYLE) is not None:
        return
    area = Element(_HEADER_STYLE)
    SubElement(area, qn(STYLE, "header-footer-properties"),
               {qn(FO, "min-height"): "0.6cm", qn(FO, "margin-bottom"): "0.2cm"})
    layout.insert(1 if layout.find(_PAGE_LAYOUT_PROPERTIES) is not None else 0, area)


def _master_pages(styles: Element, required: set[str]) -> list[Element]:
    masters = _child(styles, _MASTER_STYLES)
    present = {page.get(_STYLE_NAME) for page in masters.iter(_MASTER_PAGE)}
    for name in sorted(required - present):
        SubElement(masters, _MASTER_PAGE, {_STYLE_NAME: name})
    return list(masters.iter(_MASTER_PAGE))


def _ensure_label_style(styles: Element) -> None:
    container = _child(styles, qn(OFFICE, "styles"))
    for old in [s for s in container if s.get(_STYLE_NAME) == LABEL_STYLE]:
        container.remove(old)
    style = SubElement(container, qn(STYLE, "style"), {
        _STYLE_NAME: LABEL_STYLE, qn(STYLE, "display-name"): "Sekisho Label",
        qn(STYLE, "family"): "paragraph"})
    SubElement(style, qn(STYLE, "paragraph-properties"), {qn(FO, "text-align"): "center"})


def _child(styles: Element, tag: str) -> Element:
    """``styles``' child ``tag``, created at its place in the schema order when missing."""
    found = styles.find(tag)
    if found is not None:
        return found
    rank = _STYLES_ORDER.index(tag)
    position = sum(1 for child in styles if child.tag in _STYLES_ORDER[:rank])
    created = Element(tag)
    styles.insert(position, created)
    return created


def stamp_master_slides(styles: Element, visible: str) -> None:
    """A text frame across the top of every master slide."""
    # Impress ignores master-page content in a styles.xml without office:styles.
    _child(styles, qn(OFFICE, "styles"))
    widths = _page_widths(styles)
    for master in _master_pages(styles, set() if _has_masters(styles) else {"Default"}):
        for old in [f for f in master if f.tag == _FRAME and f.get(_DRAW_NAME) == LABEL_FRAME]:
            master.remove(old)
        frame = Element(_FRAME, {
            _DRAW_NAME: LABEL_FRAME, qn(DRAW, "layer"): "backgroundobjects",
            qn(SVG, "x"): "0cm", qn(SVG, "y"): "0cm", qn(SVG, "height"): "1.2cm",
            qn(SVG, "width"): widths.get(master.get(_PAGE_LAYOUT_NAME, ""),
                                         _DEFAULT_SLIDE_WIDTH)})
        SubElement(SubElement(frame, qn(DRAW, "text-box")), _PARAGRAPH).text = visible
        notes = master.find(_NOTES)
        master.insert(list(master).index(notes) if notes is not None else len(master), frame)


def show_background_objects(root: Element) -> None:
    """Slides may not hide the master's objects, where the label frame sits."""
    for properties in root.iter(qn(STYLE, "drawing-page-properties")):
        if properties.get(_BACKGROUND_VISIBLE) == "false":
            properties.set(_BACKGROUND_VISIBLE, "true")


def _has_masters(styles: Element) -> bool:
    return next(styles.iter(_MASTER_PAGE), None) is not None


def _page_widths(styles: Element) -> dict[str, str]:
    widths: dict[str, str] = {}
    for layout in styles.iter(_PAGE_LAYOUT):
        properties = layout.find(_PAGE_LAYOUT_PROPERTIES)
        width = properties.get(_PAGE_WIDTH, "") if properties is not None else ""
        if _LENGTH.fullmatch(width):
            widths[layout.get(_STYLE_NAME, "")] = width
    return widths


def page_styles_in_use(content: Element, default: str) -> set[str]:
    """Master pages the document's styles name, plus the application's default one."""
    names = {default}
    for style in content.iter(qn(STYLE, "style")):
        name = style.get(qn(STYLE, "master-page-name"))
        if name:
            names.add(name)
    return names

