"""Rebuilding content.xml and styles.xml without active content (Chiba 2(12) 無害化).

One walk over the tree decides, per element: keep it (and walk its children), drop it
with its content, or unwrap it (keep its text, drop the element: a link becomes its text).
The walk rebuilds each child list in one pass, so the text around a removed element stays
where it was and a document with a million links costs one pass, not a million.

Dropped: Basic/script bindings (``office:scripts``, ``text:script``, event listeners of
every kind, ``text:execute-macro``), embedded objects, applets, plug-ins and floating frames,
DDE links and fields, external data sources, comments (their authors are personal data,
Saitama 第3 4(3)), inline binary data (it would bypass the picture cleaning), references to
package parts that were not kept, anything pointing outside the file except web and mail
hyperlinks (those only with ``remove_links``), and markup in namespaces we do not know.
Kept but reported (``CleanOptions`` decides): tracked changes, hidden text, sections,
sheets, rows, columns and slides; the authors of tracked changes are blanked.
"""

from __future__ import annotations

import re
from collections import Counter
from enum import Enum
from xml.etree.ElementTree import Element

from handlers.odf.links import Target, classify, package_path
from handlers.odf.names import (
    ALLOWED,
    DC,
    DRAW,
    FORM,
    OFFICE,
    PRESENTATION,
    SCRIPT,
    SVG,
    TABLE,
    TEXT,
    XLINK,
    qn,
    split,
)
from handlers.odf.notices import NoticeCounter

HREF = qn(XLINK, "href")
_FORMULA = qn(TABLE, "formula")
_FORM_IMAGE = qn(FORM, "image-data")

# Removal kinds (Inspection.active_content / hidden_data keys).
SCRIPTS = "scripts"
EVENT_LISTENERS = "event_listeners"
SCRIPT_LINKS = "script_links"
EMBEDDED_OBJECTS = "embedded_objects"
EXTERNAL_LINKS = "external_links"
EXTERNAL_DATA = "external_data"
HYPERLINKS = "hyperlinks"
COMMENTS = "comments"
REVISION_AUTHORS = "revision_authors"
INLINE_BINARY_DATA = "inline_binary_data"
DANGLING_REFERENCES = "dangling_references"
UNKNOWN_MARKUP = "unknown_markup"
HIDDEN_DATA_KINDS = frozenset({COMMENTS, REVISION_AUTHORS, INLINE_BINARY_DATA,
                               DANGLING_REFERENCES, UNKNOWN_MARKUP})

#: Element -> removal kind; the element goes with everything inside it.
DROPPED = {
    qn(OFFICE, "scripts"): SCRIPTS, qn(TEXT, "script"): SCRIPTS,
    qn(OFFICE, "event-listeners"): EVENT_LISTENERS,
    qn(SCRIPT, "event-listener"): EVENT_LISTENERS,
    qn(PRESENTATION, "event-listener"): EVENT_LISTENERS,
    qn(DRAW, "object"): EMBEDDED_OBJECTS, qn(DRAW, "object-ole"): EMBEDDED_OBJECTS,
    qn(DRAW, "applet"): EMBEDDED_OBJECTS, qn(DRAW, "plugin"): EMBEDDED_OBJECTS,
    qn(DRAW, "floating-frame"): EMBEDDED_OBJECTS,
    qn(OFFICE, "dde-source"): EXTERNAL_DATA, qn(TABLE, "dde-links"): EXTERNAL_DATA,
    qn(TEXT, "dde-connection-decls"): EXTERNAL_DATA,
    qn(TABLE, "database-source-sql"): EXTERNAL_DATA,
    qn(TABLE, "database-source-table"): EXTERNAL_DATA,
    qn(TABLE, "database-source-query"): EXTERNAL_DATA,
    qn(TABLE, "source-service"): EXTERNAL_DATA,
    qn(OFFICE, "annotation"): COMMENTS, qn(OFFICE, "annotation-end"): COMMENTS,
}
#: Element -> removal kind; the element's text stays (a macro button shows its label).
UNWRAPPED = {qn(TEXT, "execute-macro"): SCRIPT_LINKS,
             qn(TEXT, "dde-connection"): EXTERNAL_DATA}
#: Elements that are links a reader follows (the rest fetch or embed their target).
HYPERLINK_ELEMENTS = frozenset({qn(TEXT, "a"), qn(DRAW, "a"), qn(DRAW, "area-rectangle"),
                                qn(DRAW, "area-circle"), qn(DRAW, "area-polygon")})
_UNWRAPPABLE_LINKS = frozenset({qn(TEXT, "a"), qn(DRAW, "a")})
#: Containers that mean nothing once their content was removed.
_EMPTY_DROPPED = frozenset({qn(DRAW, "frame"), qn(SVG, "font-face-src")})
_FRAME_DECORATION = frozenset({qn(SVG, "title"), qn(SVG, "desc")})
_CHANGE_INFO = qn(OFFICE, "change-info")
_CREATOR = qn(DC, "creator")
_BINARY_DATA = qn(OFFICE, "binary-data")
#: Formulas that reach outside the file: DDE(), WEBSERVICE(), and references into other
#: files ('file:///...'#$Sheet1.A1). The cached cell value is kept; the formula goes.
_OUTWARD_FORMULA = re.compile(r"(?i)\b(?:DDE|WEBSERVICE)\s*\(|'(?:file|https?|ftp|smb):")


class Action(Enum):
    KEEP = "keep"
    DROP = "drop"
    UNWRAP = "unwrap"


class Scrubber:
    """Scrubs parts in place and counts what it removed and what it only reported."""

    def __init__(self, kept_members: frozenset[str], *, remove_links: bool) -> None:
        self._kept = kept_members
        self._remove_links = remove_links
        self.removed: Counter[str] = Counter()
        self.hyperlinks = 0
        self.notices = NoticeCounter()

    def scrub(self, root: Element) -> None:
        self.notices.prepare(root)
        self._attributes(root)
        self._children(root)

    def _children(self, parent: Element) -> None:
        kept: list[Element] = []

        def attach(text: str | None) -> None:
            if text:
                if kept:
                    kept[-1].tail = (kept[-1].tail or "") + text
                else:
                    parent.text = (parent.text or "") + text

        for child in list(parent):
            tail, child.tail = child.tail, None
            action = self._decide(child)
            if action is not Action.DROP:
                self.notices.visit(child)
                self._attributes(child)
                self._children(child)
            if action is Action.KEEP and not self._empty_container(child):
                kept.append(child)
            elif action is Action.UNWRAP:
                attach(child.text)
                kept.extend(child)
            attach(tail)
        parent[:] = kept

    def _decide(self, element: Element) -> Action:
        tag = element.tag
        if split(tag)[0] not in ALLOWED:
            return self._count(UNKNOWN_MARKUP, Action.DROP)
        if tag in DROPPED:
            return self._dropped(element, DROPPED[tag])
        if tag in UNWRAPPED:
            return self._count(UNWRAPPED[tag], Action.UNWRAP)
        if element.find(_BINARY_DATA) is not None:
            return self._count(INLINE_BINARY_DATA, Action.DROP)
        if tag == _CHANGE_INFO:
            self._blank_authors(element)
        href = element.get(HREF)
        return Action.KEEP if href is None else self._link(element, href)

    def _dropped(self, element: Element, kind: str) -> Action:
        if _empty_scripts(element):
            return Action.DROP  # LibreOffice writes an empty <office:scripts/> everywhere
        if split(element.tag)[1] != "annotation-end":
            self.removed[kind] += 1
        return Action.DROP

    def _link(self, element: Element, href: str) -> Action:
        target = classify(href)
        if element.tag in HYPERLINK_ELEMENTS:
            return self._hyperlink(element, target)
        kind = self._unwanted(href, target)
        if kind is None:
            return Action.KEEP
        if split(element.tag)[0] == FORM:
            # A form's submission or button target: the form stays, the target goes.
            del element.attrib[HREF]
            return self._count(kind, Action.KEEP)
        return self._count(kind, Action.DROP)

    def _unwanted(self, href: str, target: Target) -> str | None:
        """The removal kind of a reference that fetches or embeds its target, or None."""
        if target in (Target.EMPTY, Target.FRAGMENT):
            return None
        if target is Target.PACKAGE:
            return None if package_path(href) in self._kept else DANGLING_REFERENCES
        return SCRIPT_LINKS if target is Target.SCRIPT else EXTERNAL_LINKS

    def _hyperlink(self, element: Element, target: Target) -> Action:
        removal = Action.UNWRAP if element.tag in _UNWRAPPABLE_LINKS else Action.DROP
        if target in (Target.EMPTY, Target.FRAGMENT):
            return Action.KEEP
        if target is Target.WEB:
            self.hyperlinks += 1
            return self._count(HYPERLINKS, removal) if self._remove_links else Action.KEEP
        return self._count(SCRIPT_LINKS if target is Target.SCRIPT else EXTERNAL_LINKS, removal)

    def _count(self, kind: str, action: Action) -> Action:
        self.removed[kind] += 1
        return action

    def _blank_authors(self, change_info: Element) -> None:
        for creator in change_info.iter(_CREATOR):
            if (creator.text or "").strip():
                self.removed[REVISION_AUTHORS] += 1
            creator.text = ""
            for child in list(creator):
                creator.remove(child)

    def _attributes(self, element: Element) -> None:
        unknown = [key for key in element.attrib if split(key)[0] not in ALLOWED]
        for key in unknown:
            del element.attrib[key]
        if unknown:
            self.removed[UNKNOWN_MARKUP] += len(unknown)
        image = element.get(_FORM_IMAGE)  # a form button's picture, fetched when shown
        kind = None if image is None else self._unwanted(image, classify(image))
        if kind is not None:
            del element.attrib[_FORM_IMAGE]
            self.removed[kind] += 1
        formula = element.get(_FORMULA)
        if formula is not None and _OUTWARD_FORMULA.search(formula):
            del element.attrib[_FORMULA]
            self.removed[EXTERNAL_DATA] += 1

    def _empty_container(self, element: Element) -> bool:
        return element.tag in _EMPTY_DROPPED and all(
            child.tag in _FRAME_DECORATION for child in element
        )


def _empty_scripts(element: Element) -> bool:
    return element.tag == qn(OFFICE, "scripts") and len(element) == 0

