"""Our label as an XMP packet on the PDF catalog (Chiba 6.2(2), LBL-01).

XMP is where PDF tools look for document properties (exiftool lists it, Acrobat's
Document Properties > Additional Metadata shows it). The sanitiser removes every XMP packet
as metadata (Saitama 第3 4(3)); the only one verification accepts afterwards is exactly the
packet ``build_packet`` writes: our namespace, our two properties, nothing else. "Exactly"
is checked by rebuilding the packet from the values found and comparing bytes, so no extra
property, attribute, comment or padding can ride along.
"""

from __future__ import annotations

import re

from handlers.limits import MAX_LABEL_CHARS

#: Our XMP namespace (the reserved .invalid domain: a name, never fetched).
NAMESPACE = "https://sekisho.invalid/ns/label/1.0/"
PREFIX = "sekisho"
#: The metadata key inspections report for our packet.
XMP_LABEL_KEY = "XMP:sekisho:Classification"
#: Largest packet accepted as ours: the label, the marking, escaping and the envelope.
MAX_PACKET_BYTES = 8 * MAX_LABEL_CHARS + 2048

_TEMPLATE = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
    f'<rdf:Description rdf:about="" xmlns:{PREFIX}="{NAMESPACE}">\n'
    f"<{PREFIX}:Classification>{{label}}</{PREFIX}:Classification>\n"
    f"<{PREFIX}:Marking>{{marking}}</{PREFIX}:Marking>\n"
    "</rdf:Description>\n"
    "</rdf:RDF>\n"
    "</x:xmpmeta>\n"
    '<?xpacket end="r"?>'
)
_PATTERN = re.compile(
    re.escape(_TEMPLATE.split("{label}")[0])
    + "(?P<label>[^<]*)"
    + re.escape(_TEMPLATE.split("{label}")[1].split("{marking}")[0])
    + "(?P<marking>[^<]*)"
    + re.escape(_TEMPLATE.split("{marking}")[1]),
)
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"))


def _escape(text: str) -> str:
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text


def _unescape(text: str) -> str:
    for raw, escaped in reversed(_ESCAPES):
        text = text.replace(escaped, raw)
    return text


def build_packet(label_json: str, marking: str) -> bytes:
    """The packet holding the label (canonical JSON) and the visible marking text."""
    return _TEMPLATE.format(label=_escape(label_json), marking=_escape(marking)).encode()


def parse_packet(untrusted: bytes) -> tuple[str, str] | None:
    """(label JSON, marking) if ``untrusted`` is exactly a packet we write, else None."""
    if len(untrusted) > MAX_PACKET_BYTES:
        return None
    try:
        text = untrusted.decode("utf-8")
    except UnicodeDecodeError:
        return None
    match = _PATTERN.fullmatch(text)
    if match is None:
        return None
    label, marking = _unescape(match["label"]), _unescape(match["marking"])
    return (label, marking) if build_packet(label, marking) == untrusted else None
