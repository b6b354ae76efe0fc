"""PresentationML: slides, layouts, masters and notes.

Removed: OLE objects (the whole graphic frame that shows them), ActiveX control lists,
customer data tags, and (in the shared filter) click/hover actions that run programs or
macros. Reported, not removed: hidden slides (``show="0"``).
"""

from __future__ import annotations

from handlers.ooxml import policy
from handlers.ooxml.filters import PartFilter, is_off
from handlers.ooxml.xmlstream import Node


class SlideFilter(PartFilter):
    """A slide, slide layout, slide master, notes or handout part."""

    @classmethod
    def needs_walk(cls, data: bytes) -> bool:
        return True  # slides are small; the hidden-slide notice needs the walk

    def on_start(self, node: Node) -> None:
        super().on_start(node)
        if not node.kept or node.ns not in policy.P_NAMESPACES:
            return
        if node.local == "sld" and not self.stack and is_off(node.get("show")):
            self.notice("hidden_slides")
        elif node.local == "oleObj":
            # Also an OLE object whose reference was not dropped (none should remain).
            self.count(policy.OLE_OBJECT)
            self.remove_with_container(node, frozenset({"graphicFrame"}))
        elif node.local == "controls":
            self.count(policy.ACTIVEX)
            self.drop(node)
