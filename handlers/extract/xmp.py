"""XMP packets (PDF /Metadata, JPEG/PNG/WebP) -> metadata, through the hostile-XML parser."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from core.errors import SekishoError
from handlers.extract.collector import Collector
from handlers.extract.result import CORRUPT_PART
from handlers.extract.xmlsafe import element_text, parse_tree

#: XMP property (local name) -> metadata key. dc:creator is the author list; photoshop and
#: Iptc4xmpCore fields name people and places in photos.
XMP_PROPERTIES = {
    "creator": "author", "title": "title", "description": "description",
    "subject": "keywords", "Keywords": "keywords", "CreatorTool": "creator_tool",
    "Producer": "producer", "Company": "company", "Manager": "manager",
    "AuthorsPosition": "author_position", "Credit": "credit", "rights": "copyright",
    "City": "city", "State": "state", "Country": "country", "Location": "location",
    "CreatorContactInfo": "author_contact", "GPSLatitude": "xmp_gps_latitude",
    "GPSLongitude": "xmp_gps_longitude",
}
_CONTAINERS = frozenset({"Seq", "Bag", "Alt"})


def add_xmp(untrusted_xmp: bytes, out: Collector, part: str = "xmp") -> None:
    """Add the packet's known properties as metadata; a broken packet is one corrupt part."""
    # The packet wrapper (<?xpacket ...?>) is a processing instruction: expat skips it.
    try:
        root = parse_tree(untrusted_xmp.strip(b"\x00 \r\n\t"))
    except SekishoError:
        out.add_incomplete(CORRUPT_PART, part)
        return
    out.add_part(part)
    for element in root.iter():
        for name, value in element.attrib.items():
            if name in XMP_PROPERTIES:
                out.add_metadata(XMP_PROPERTIES[name], value)
        if element.tag in XMP_PROPERTIES:
            for value in _values(element):
                out.add_metadata(XMP_PROPERTIES[element.tag], value)


def _values(element: Element) -> list[str]:
    """rdf:Seq/Bag/Alt items, or the element's own text."""
    items = [element_text(li) for child in element if child.tag in _CONTAINERS
             for li in child if li.tag == "li"]
    return items or [element_text(element)]
