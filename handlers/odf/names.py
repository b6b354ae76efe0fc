"""OpenDocument namespaces: the allow-list, standard prefixes and qualified-name helpers.

Elements and attributes in a namespace outside ``ALLOWED`` are dropped when a part is
rebuilt (fail closed): ODF consumers ignore foreign markup anyway, so dropping it changes
nothing a reader sees, while keeping it would carry data we never looked at. Left out on
purpose: XForms (submission targets), XHTML (RDFa metadata attributes), GRDDL (a link to an
external transformation) and ``officeooo`` (rsid editing-session identifiers that link a
document to the sessions that edited it).
"""

from __future__ import annotations

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
XLINK = "http://www.w3.org/1999/xlink"
DC = "http://purl.org/dc/elements/1.1/"
META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
NUMBER = "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
PRESENTATION = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
SVG = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
CHART = "urn:oasis:names:tc:opendocument:xmlns:chart:1.0"
DR3D = "urn:oasis:names:tc:opendocument:xmlns:dr3d:1.0"
MATH = "http://www.w3.org/1998/Math/MathML"
FORM = "urn:oasis:names:tc:opendocument:xmlns:form:1.0"
SCRIPT = "urn:oasis:names:tc:opendocument:xmlns:script:1.0"
CONFIG = "urn:oasis:names:tc:opendocument:xmlns:config:1.0"
MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
SMIL = "urn:oasis:names:tc:opendocument:xmlns:smil-compatible:1.0"
ANIM = "urn:oasis:names:tc:opendocument:xmlns:animation:1.0"
XML = "http://www.w3.org/XML/1998/namespace"
OOO = "http://openoffice.org/2004/office"
OOOW = "http://openoffice.org/2004/writer"
OOOC = "http://openoffice.org/2004/calc"
DOM = "http://www.w3.org/2001/xml-events"
RPT = "http://openoffice.org/2005/report"
OF = "urn:oasis:names:tc:opendocument:xmlns:of:1.2"
TABLEOOO = "http://openoffice.org/2009/table"
DRAWOOO = "http://openoffice.org/2010/draw"
CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
LOEXT = "urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0"
FIELD = "urn:openoffice:names:experimental:ooo-ms-interop:xmlns:field:1.0"
FORMX = "urn:openoffice:names:experimental:ooxml-odf-interop:xmlns:form:1.0"
CSS3T = "http://www.w3.org/TR/css3-text/"
MSOXL = "http://schemas.microsoft.com/office/excel/formula"

#: Standard prefixes, used when the source did not declare one for a kept namespace.
PREFIXES = {
    OFFICE: "office", STYLE: "style", TEXT: "text", TABLE: "table", DRAW: "draw", FO: "fo",
    XLINK: "xlink", DC: "dc", META: "meta", NUMBER: "number", PRESENTATION: "presentation",
    SVG: "svg", CHART: "chart", DR3D: "dr3d", MATH: "math", FORM: "form", SCRIPT: "script",
    CONFIG: "config", MANIFEST: "manifest", SMIL: "smil", ANIM: "anim", OOO: "ooo",
    OOOW: "ooow", OOOC: "oooc", DOM: "dom", RPT: "rpt", OF: "of", TABLEOOO: "tableooo",
    DRAWOOO: "drawooo", CALCEXT: "calcext", LOEXT: "loext", FIELD: "field", FORMX: "formx",
    CSS3T: "css3t", MSOXL: "msoxl",
}
#: Namespaces whose elements and attributes are kept (subject to the scrub rules).
ALLOWED = frozenset(PREFIXES) | {XML}


def qn(namespace: str, local: str) -> str:
    """ElementTree's qualified name: ``{namespace}local``."""
    return f"{{{namespace}}}{local}"


def split(name: str) -> tuple[str, str]:
    """``{namespace}local`` -> (namespace, local); ("", name) when unqualified."""
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def readable(name: str) -> str:
    """``{meta-uri}initial-creator`` -> ``meta:initial-creator`` for reports. Names in
    namespaces we do not know are chosen by the author (content) and are not repeated."""
    namespace, local = split(name)
    prefix = PREFIXES.get(namespace)
    return f"{prefix}:{local}" if prefix else "unknown"
