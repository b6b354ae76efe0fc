"""Capabilities: explicit, greppable permissions for the few dangerous key operations.

Design: "key handles are opaque". Raw DEK bytes leave a :class:`keys.handles.DataKey` outside
``keys/`` only through :meth:`DataKey.export_raw`, which demands :data:`EXPORT_RAW_KEY` as an
argument. ``grep -rn EXPORT_RAW_KEY`` therefore lists every place that can take key bytes out,
and tests/keys/test_keys_hygiene.py fails when a new one appears without review
(Saitama 第8 1(5)イ: key copies are protected like the originals).
"""

from __future__ import annotations

from typing import NoReturn

from core.errors import Forbidden


class CapabilityRequired(Forbidden):
    code = "capability_required"
    default_message = "this key operation needs an explicit capability"


class Capability:
    """A unique token object; only identity counts, so it cannot be forged or serialised."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Capability({self.name!r})"

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("capabilities cannot be pickled or copied")


# The one capability that lets raw key bytes out of a key handle.
EXPORT_RAW_KEY = Capability("export_raw_key")


def require_capability(given: object, needed: Capability) -> None:
    if given is not needed:
        raise CapabilityRequired(f"this operation needs keys.capabilities.{needed.name.upper()}")
