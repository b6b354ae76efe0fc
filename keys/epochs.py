"""KEK rotation in epochs: re-wrap the live DEKs under a new KEK version, then destroy the old.

Why (reference/crypto.md, Crypto-erase; Saitama 第1 3(17)(18)): erasing an object deletes its
wrapped DEK from the key store, but backups and replicas still hold a copy. Those copies are
wrapped under the KEK version of their day; once that version is destroyed they can never be
unwrapped again, so the erase then covers every backup taken before the rotation.

The service drives the three steps over its own table, with progress, and can stop at any
point and run the same steps again (resume)::

    target = start_rotation(kek)                      # creates kek-v{N+1}, or resumes
    for result in rewrap(kek, rows):                  # rows: iterable of (key_id, wrapped)
        if result.changed:
            store(result.key_id, result.wrapped)      # commit in batches, report progress
    destroyed = finish_rotation(kek, all_live_wrapped_blobs)   # refuses while any is stale

A rotation is "under way" exactly while the provider holds more than one version, so resuming
needs no state of its own: :func:`start_rotation` then returns the current version instead of
creating another, and :func:`rewrap` skips DEKs already wrapped under it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field

from core.errors import Conflict
from keys.allowlist import active_allowlist
from keys.kek import KekProvider
from keys.wrapped import WrappedKey


class RotationIncomplete(Conflict):
    """Old KEK versions cannot be destroyed while a live DEK still needs one (data loss)."""

    code = "kek_rotation_incomplete"
    default_message = "live keys are still wrapped under an old KEK version"


@dataclass(frozen=True)
class RewrapResult:
    key_id: str
    wrapped: bytes = field(repr=False)  # what crypto-erase searches for: never in logs
    changed: bool  # False when the DEK was already under the target version (resume)
    from_version: int


@dataclass(frozen=True)
class RotationReport:
    to_version: int
    rewrapped: int
    already_current: int
    destroyed: tuple[int, ...]


def start_rotation(kek: KekProvider) -> int:
    """Create the next KEK version, or resume a rotation under way; returns the target."""
    versions = kek.versions()
    if len(versions) > 1:
        return versions[-1]
    return kek.create_version()


def is_current(wrapped: WrappedKey, target: int) -> bool:
    """Whether a wrapped DEK needs no re-wrap for a rotation to ``target``."""
    # A DEK wrapped under the target by a withdrawn AEAD (危殆化) is re-wrapped as well: the
    # rotation then doubles as the migration of the wraps.
    return wrapped.kek_version >= target and wrapped.algorithm not in active_allowlist().withdrawn()


def rewrap(
    kek: KekProvider, rows: Iterable[tuple[str, bytes]], *, target: int | None = None
) -> Iterator[RewrapResult]:
    """For each ``(key_id, wrapped)``, yield the blob to store: re-wrapped under the current
    KEK version, or unchanged when it already is (so a resumed run redoes nothing).

    Streams: one DEK in memory at a time, destroyed as soon as it is re-wrapped.
    """
    target = kek.current_version() if target is None else target
    for key_id, blob in rows:
        wrapped = WrappedKey.from_bytes(blob)
        if is_current(wrapped, target):
            yield RewrapResult(key_id, blob, False, wrapped.kek_version)
            continue
        data_key = kek.unwrap(wrapped, key_id)
        try:
            renewed = kek.wrap(data_key, key_id).to_bytes()
        finally:
            data_key.destroy()
        yield RewrapResult(key_id, renewed, True, wrapped.kek_version)


def versions_in_use(blobs: Iterable[bytes]) -> Counter[int]:
    """How many wrapped DEKs each KEK version protects (for progress and status)."""
    return Counter(WrappedKey.from_bytes(blob).kek_version for blob in blobs)


def finish_rotation(kek: KekProvider, live_wrapped: Iterable[bytes]) -> tuple[int, ...]:
    """Destroy every KEK version older than the current one; returns the versions destroyed.

    ``live_wrapped`` is every wrapped DEK the service still keeps: if any is under an older
    version the rotation is not finished, and destroying would lose that object, so this
    raises :class:`RotationIncomplete` and destroys nothing.
    """
    current = kek.current_version()
    stale = sum(n for version, n in versions_in_use(live_wrapped).items() if version < current)
    if stale:
        raise RotationIncomplete(f"{stale} live keys are still wrapped under older KEK versions")
    destroyed = tuple(v for v in kek.versions() if v < current)
    for version in destroyed:
        kek.destroy_version(version)
    return destroyed


def rotate(kek: KekProvider, store: MutableMapping[str, bytes]) -> RotationReport:
    """All three steps over an in-memory ``key_id -> wrapped`` map (tests, small stores)."""
    target = start_rotation(kek)
    rewrapped = already = 0
    for result in list(rewrap(kek, store.items(), target=target)):
        if result.changed:
            store[result.key_id] = result.wrapped
            rewrapped += 1
        else:
            already += 1
    destroyed = finish_rotation(kek, store.values())
    return RotationReport(target, rewrapped, already, destroyed)
