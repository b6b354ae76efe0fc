"""The visible label in PowerPoint: a text box across the foot of every slide, hidden ones
included (Chiba 6.2(2)). The shape is named ``SekishoLabel``; relabelling replaces it."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from core.errors import SekishoError
from handlers.extract.xmlsafe import parse_tree
from handlers.ooxml import policy
from handlers.ooxml.writer import PackageModel
from handlers.ooxml.xmlstream import Node, XmlRewriter

SHAPE_NAME = "SekishoLabel"
#: PowerPoint's default 4:3 slide, used when presentation.xml gives no usable size (EMU).
DEFAULT_SIZE = (9_144_000, 6_858_000)
#: Largest slide PowerPoint allows (56 inches), in EMU.
_MAX_SIDE = 51_206_400
_BOX_HEIGHT = 274_320  # 0.3 inch
_BOTTOM_MARGIN = 45_720
_STRICT_P = "http://purl.oclc.org/ooxml/presentationml/main"
_DRAWING = {_STRICT_P: "http://purl.oclc.org/ooxml/drawingml/main"}
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"


def text_box(p_namespace: str, shape_id: int, size: tuple[int, int], visible: str) -> str:
    width, height = size
    top = max(height - _BOX_HEIGHT - _BOTTOM_MARGIN, 0)
    a_namespace = _DRAWING.get(p_namespace, _A)
    return (
        f"<p:sp xmlns:p={quoteattr(p_namespace)} xmlns:a={quoteattr(a_namespace)}>"
        f'<p:nvSpPr><p:cNvPr id="{shape_id}" name="{SHAPE_NAME}" descr="classification"/>'
        '<p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr>'
        f'<p:spPr><a:xfrm><a:off x="0" y="{top}"/><a:ext cx="{width}" cy="{_BOX_HEIGHT}"/>'
        '</a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/></p:spPr>'
        '<p:txBody><a:bodyPr wrap="square" lIns="0" tIns="0" rIns="0" bIns="0" '
        'anchor="ctr"/><a:lstStyle/><a:p><a:pPr algn="ctr"/><a:r>'
        '<a:rPr lang="ja-JP" sz="1000" b="1"/>'
        f"<a:t>{escape(visible)}</a:t></a:r></a:p></p:txBody></p:sp>"
    )


class _SlideStamp(XmlRewriter):
    def __init__(self, visible: str, size: tuple[int, int]) -> None:
        super().__init__()
        self._visible = visible
        self._size = size
        self._max_id = 1

    def on_start(self, node: Node) -> None:
        if node.local != "cNvPr":
            return
        if node.get("name") == SHAPE_NAME:
            self.erase_ancestor(frozenset({"sp"}))
            return
        shape_id = node.get("id") or ""
        if shape_id.isdigit() and len(shape_id) < 10:
            self._max_id = max(self._max_id, int(shape_id))

    def on_end(self, node: Node) -> None:
        parent = self.parent(2)
        if node.local == "spTree" and parent is not None and parent.local == "cSld":
            self.append_child(node, text_box(node.ns, self._max_id + 1, self._size,
                                             self._visible))


def slide_size(model: PackageModel) -> tuple[int, int]:
    try:
        tree = parse_tree(model.parts[model.main])
    except SekishoError:
        return DEFAULT_SIZE
    for element in tree.iter("sldSz"):
        width, height = element.get("cx", ""), element.get("cy", "")
        if width.isdigit() and height.isdigit() and 0 < int(width) <= _MAX_SIDE \
                and 0 < int(height) <= _MAX_SIDE:
            return int(width), int(height)
    return DEFAULT_SIZE


def stamp_slides(model: PackageModel, visible: str) -> None:
    size = slide_size(model)
    for name in model.parts_of_type(policy.PML + "slide+xml"):
        model.parts[name] = _SlideStamp(visible, size).rewrite(model.parts[name])
