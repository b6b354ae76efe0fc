"""File handlers: content-type detection, per-format inspection, cleaning and verification,
and writing labels into files. Imports only ``core`` of ours (layer rule)."""

from handlers.base import Handler, Inspection
from handlers.detect import Detection, detect
from handlers.extract import Extraction, Incomplete, extract
from handlers.findings import Finding
from handlers.labelling import read_label, write_label
from handlers.registry import HANDLERS, handler_for

#: The same function as ``detect``, under a name that does not collide with a caller's own
#: "detect" stage (service.pipeline).
detect_content_type = detect

__all__ = [
    "HANDLERS",
    "Detection",
    "Extraction",
    "Finding",
    "Handler",
    "Incomplete",
    "Inspection",
    "detect",
    "detect_content_type",
    "extract",
    "handler_for",
    "read_label",
    "write_label",
]
