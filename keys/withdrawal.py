"""The withdrawn-algorithm set (危殆化, Saitama 第6 1(5)ア(オ)) as a value the service persists.

``sekisho crypto withdraw ALGORITHM`` must make EVERY process refuse the algorithm for new work
(encrypt, wrap, sign) while still letting it open existing data for the migration. The decision
therefore has to outlive the CLI process: the service keeps the ids in its database (or a
file), and each process builds its allow-list from them at start-up and before new work::

    registry = WithdrawalRegistry(ids_from_the_database)      # or .from_file(path)
    registry.install()                                         # DEFAULT_ALLOWLIST minus these

    registry = registry.withdraw("AES-256-GCM")                # the CLI: validate, then
    persist(registry.ids)                                      # store, then install
    registry.install()

Ids this build does not list are kept (so a shared store is not rewritten by an older build)
but have no effect: an algorithm that is not on the list is refused for everything anyway.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from core.errors import ConfigurationError
from keys.allowlist import (
    DEFAULT_ALLOWLIST,
    AlgorithmRefused,
    AllowList,
    install_allowlist,
)
from keys.primitives.randomness import random_hex

FILE_FORMAT = "sekisho-withdrawn-algorithms"
FILE_VERSION = 1
_MAX_FILE_BYTES = 64 * 1024


class WithdrawalRegistry:
    """An immutable set of withdrawn algorithm ids."""

    __slots__ = ("_ids",)

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._ids = frozenset(ids)

    def __repr__(self) -> str:
        return f"WithdrawalRegistry({sorted(self._ids)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WithdrawalRegistry) and other._ids == self._ids

    def __hash__(self) -> int:
        return hash(self._ids)

    def __contains__(self, algorithm: object) -> bool:
        return algorithm in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._ids))

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> frozenset[str]:
        return self._ids

    def withdraw(self, algorithm: str, base: AllowList = DEFAULT_ALLOWLIST) -> WithdrawalRegistry:
        """A registry with ``algorithm`` added; refuses ids that are not on ``base`` (a typo
        must not look like a successful emergency withdrawal)."""
        if algorithm not in base:
            raise AlgorithmRefused(
                algorithm, "it is not on the allow-list, so it is already refused everywhere"
            )
        return WithdrawalRegistry(self._ids | {algorithm})

    def reinstate(self, algorithm: str) -> WithdrawalRegistry:
        """Lift a withdrawal (the 危殆化 assessment was revised)."""
        return WithdrawalRegistry(self._ids - {algorithm})

    def affected(self, algorithm_ids: Iterable[str]) -> frozenset[str]:
        """Which of ``algorithm_ids`` (an object's header and wrap) are withdrawn."""
        return self._ids.intersection(algorithm_ids)

    def apply(self, base: AllowList = DEFAULT_ALLOWLIST) -> AllowList:
        """``base`` with every listed id it knows marked WITHDRAWN."""
        return base.withdraw(*(name for name in sorted(self._ids) if name in base))

    def install(self, base: AllowList = DEFAULT_ALLOWLIST) -> AllowList:
        """Put :meth:`apply` in force in this process; returns the list now in force."""
        allowlist = self.apply(base)
        install_allowlist(allowlist)
        return allowlist

    # --- file persistence (the service may use its database instead) --------------------

    @classmethod
    def from_file(cls, path: Path) -> WithdrawalRegistry:
        """Load; a missing file is an empty registry, a malformed one is ConfigurationError
        (failing open would silently re-allow a withdrawn algorithm)."""
        try:
            raw = path.read_bytes()[:_MAX_FILE_BYTES + 1]
        except FileNotFoundError:
            return cls()
        ids = _parse_ids(raw) if len(raw) <= _MAX_FILE_BYTES else None
        if ids is None:
            raise ConfigurationError(f"withdrawn-algorithm file {path} is malformed")
        return cls(ids)

    def to_file(self, path: Path) -> None:
        """Write atomically (temporary file, fsync, rename): readers see old or new, never
        half of it."""
        document = {"format": FILE_FORMAT, "version": FILE_VERSION, "withdrawn": list(self)}
        tmp = path.with_name(f".{path.name}.{random_hex(8)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(document, out, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def _parse_ids(raw: bytes) -> list[str] | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
        return None
    ids = data.get("withdrawn") if data.get("version") == FILE_VERSION else None
    if isinstance(ids, list) and all(isinstance(i, str) for i in ids):
        return ids
    return None
