"""Find everything on the removal list in a parsed PDF: one walk for inspect, clean and verify.

The walk starts at the trailer and follows every reference from the catalog, so it sees
exactly what a rewrite keeps: qpdf writes only reachable objects, which is also why earlier
revisions and orphaned objects vanish from the output. Each hazard names the container and
the slot (dictionary key or array index) that holds the offending entry, so removal cuts the
reference rather than editing the payload. The same walk, run on a fresh parse of the output,
is the verification.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pikepdf import Array, Dictionary, Name, Object, Pdf, Stream, String

from handlers.limits import MAX_PDF_WALK_NODES, StructureTooComplex
from handlers.pdf import policy
from handlers.pdf.label import xmp_label_json

_ANY, _TRAILER, _CATALOG, _NAMES = range(4)
_NO_OBJGEN = (0, 0)
_S = Name("/S")
_TYPE = Name("/Type")
_SUBTYPE = Name("/Subtype")
_ACTION = Name("/Action")


@dataclass(frozen=True, slots=True)
class Hazard:
    """One removal site: ``container[slot]`` holds something on the removal list."""

    kind: str
    container: Object
    slot: Name | int


@dataclass
class ScanResult:
    hazards: list[Hazard] = field(default_factory=list)
    #: DocInfo key names (values are never read).
    info_keys: tuple[str, ...] = ()
    #: Whether the trailer has a DocInfo entry at all.
    has_info: bool = False
    #: The label JSON of our own XMP packet on the catalog (label.py), which is reported
    #: as a metadata key rather than as a hazard; None when there is none.
    label_xmp: str | None = None

    def counts(self) -> dict[str, int]:
        return dict(Counter(h.kind for h in self.hazards))


def scan(pdf: Pdf, *, remove_links: bool = False) -> ScanResult:
    """Walk the document graph and collect hazards; with ``remove_links`` (profile option,
    CleanOptions) every /URI action and every link annotation leaving the document too."""
    return _Walk(pdf, remove_links).run()


def remove(hazards: list[Hazard]) -> None:
    """Cut every hazard out of its container.

    Reverse order keeps array indices valid: a walk records one array's hazards in ascending
    index order, so deleting from the back never shifts an index still to be deleted.
    """
    for hazard in reversed(hazards):
        container, slot = hazard.container, hazard.slot
        if isinstance(slot, int):
            del container[slot]
        elif slot in container:
            del container[slot]


def action_kind(value: Object, remove_links: bool = False) -> str | None:
    """The removal kind of an action dictionary that is not allow-listed, else None."""
    if not isinstance(value, (Dictionary, Stream)):
        return None
    action_type = value.get(_S)
    known = isinstance(action_type, Name) and action_type in policy.ACTION_TYPES
    if not known and value.get(_TYPE) != _ACTION:
        return None  # not an action: /S also appears in transitions, groups, structure…
    if not isinstance(action_type, Name):
        return policy.ACTION_OTHER
    if remove_links and action_type == policy.URI_ACTION:
        return policy.ACTION_URI
    if action_type in policy.SAFE_ACTION_TYPES and _safe_parameters(action_type, value):
        return None
    return policy.DANGEROUS_ACTION_KINDS.get(action_type, policy.ACTION_OTHER)


def _safe_parameters(action_type: Name, action: Object) -> bool:
    if action_type == Name("/URI"):
        uri = action.get(Name("/URI"))
        return isinstance(uri, String) and str(uri).strip().lower().startswith(
            policy.SAFE_URI_SCHEMES
        )
    if action_type == Name("/Named"):
        name = action.get(Name("/N"))
        return isinstance(name, Name) and name in policy.SAFE_NAMED_ACTIONS
    return True


def value_kind(value: Object, remove_links: bool = False) -> str | None:
    """The removal kind of a value wherever it is referenced from, else None."""
    kind = action_kind(value, remove_links)
    if kind is not None or not isinstance(value, (Dictionary, Stream)):
        return kind
    subtype = value.get(_SUBTYPE)
    if remove_links and subtype == policy.LINK_SUBTYPE and _leaves_document(value):
        return policy.LINK_ANNOTATION
    if isinstance(subtype, Name) and subtype in policy.MEDIA_ANNOTATION_KINDS:
        return policy.MEDIA_ANNOTATION_KINDS[subtype]
    if isinstance(value, Stream) and value.get(_TYPE) == policy.EMBEDDED_FILE_TYPE:
        return policy.EMBEDDED_FILES
    return None


def _leaves_document(link: Object) -> bool:
    """A link annotation whose action is a /URI (a /Dest or /GoTo stays in the document;
    other action types are removed by the action rules whatever the option)."""
    action = link.get(Name("/A"))
    return isinstance(action, Dictionary) and action.get(_S) == policy.URI_ACTION


def key_kind(role: int, key: Name) -> str | None:
    """The removal kind of a dictionary key in its context, whatever its value."""
    kind = policy.REMOVE_KEYS_EVERYWHERE.get(key)
    if kind is not None:
        return kind
    if role == _CATALOG and key not in policy.CATALOG_ALLOWED:
        return policy.CATALOG_REMOVED_KINDS.get(key, policy.CATALOG_OTHER)
    if role == _NAMES and key not in policy.NAMES_ALLOWED:
        return policy.NAMES_REMOVED_KINDS.get(key, policy.NAMES_OTHER)
    if role == _TRAILER and key not in policy.TRAILER_ALLOWED:
        return policy.TRAILER_OTHER
    return None


class _Walk:
    """Iterative depth-first walk (no recursion limit to hit on hostile nesting)."""

    def __init__(self, pdf: Pdf, remove_links: bool = False) -> None:
        self._remove_links = remove_links
        self._result = ScanResult()
        self._seen: set[tuple[int, int]] = set()
        self._nodes = 0
        root = pdf.Root
        names = root.get(policy.NAMES)
        # Roles come from identity, not from the path that reached an object first, so a
        # catalog or /Names dictionary referenced from elsewhere still gets its allow-list.
        self._catalog_id = root.objgen
        self._names_id = names.objgen if isinstance(names, Dictionary) else _NO_OBJGEN
        self._stack: list[tuple[Object, int]] = [(pdf.trailer, _TRAILER)]

    def run(self) -> ScanResult:
        while self._stack:
            node, role = self._stack.pop()
            if isinstance(node, Array):
                self._visit_array(node)
            else:
                self._visit_dictionary(node, self._role_of(node, role))
        return self._result

    def _role_of(self, node: Object, pushed_role: int) -> int:
        objgen = node.objgen
        if objgen != _NO_OBJGEN and objgen == self._catalog_id:
            return _CATALOG
        if objgen != _NO_OBJGEN and objgen == self._names_id:
            return _NAMES
        return pushed_role

    def _visit_array(self, node: Array) -> None:
        for index, value in enumerate(node):
            self._tick()
            kind = value_kind(value, self._remove_links)
            if kind is not None:
                self._result.hazards.append(Hazard(kind, node, index))
            else:
                self._push(value, _ANY)

    def _visit_dictionary(self, node: Object, role: int) -> None:
        for key_text in sorted(node.keys()):
            self._tick()
            key = Name(key_text)
            if role == _TRAILER and key == policy.INFO:
                self._note_info(node, node[key])
                continue
            value = node[key]
            if role == _CATALOG and key == policy.METADATA and self._note_label_xmp(value):
                continue
            kind = self._key_kind(role, key) or value_kind(value, self._remove_links)
            if kind is not None:
                self._result.hazards.append(Hazard(kind, node, key))
            elif role != _TRAILER or key == policy.ROOT:
                # From the trailer only the catalog is followed: the other allowed keys are
                # cross-reference machinery that qpdf rebuilds.
                self._push(value, _NAMES if role == _CATALOG and key == policy.NAMES else _ANY)

    def _key_kind(self, role: int, key: Name) -> str | None:
        if self._remove_links and role == _CATALOG and key == policy.CATALOG_URI:
            return policy.BASE_URI
        return key_kind(role, key)

    def _note_label_xmp(self, value: Object) -> bool:
        label = xmp_label_json(value)
        if label is None:
            return False
        self._result.label_xmp = label
        return True

    def _note_info(self, trailer: Object, info: Object) -> None:
        self._result.has_info = True
        if isinstance(info, Dictionary):
            self._result.info_keys = tuple(sorted(info.keys()))
        else:
            self._result.hazards.append(Hazard(policy.DOCUMENT_INFO, trailer, policy.INFO))

    def _push(self, value: Object, role: int) -> None:
        if not isinstance(value, (Dictionary, Array, Stream)):
            return
        objgen = value.objgen
        if objgen != _NO_OBJGEN:
            if objgen in self._seen:
                return
            self._seen.add(objgen)
        self._stack.append((value, role))

    def _tick(self) -> None:
        self._nodes += 1
        if self._nodes > MAX_PDF_WALK_NODES:
            raise StructureTooComplex(f"more than {MAX_PDF_WALK_NODES} nodes in the document")
