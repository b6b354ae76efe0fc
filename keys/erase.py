"""Crypto-erase (暗号化消去, Saitama 第1 3(17)(18)): destroy the wrapped DEK, then prove it.

Every stored object is sealed under its own DEK from its first byte and the DEK exists at rest
only wrapped under the KEK (keys.objects). Destroying the wrapped DEK therefore makes the
ciphertext unusable; reference/crypto.md ("Crypto-erase") says how to prove it, in three checks:

1. the key id no longer resolves in the key store;
2. opening the object the way the service would (look the key id up, unwrap, decrypt the
   first segment) fails with KeyUnavailable / DecryptionFailed;
3. the bytes of the wrapped DEK occur nowhere in the key store's files (the SQLite database,
   its -wal, -shm and -journal, and the KEK directory or token files). A deleted row survives
   in the -wal even with secure_delete=ON after a normal checkpoint, which is why the store
   must "settle" (TRUNCATE checkpoint) before the scan, and why the scan is the proof, not the
   DELETE.

This module knows no database: the service supplies the store (:class:`WrappedKeyStore`) and
the destroy step; :func:`crypto_erase` fixes the order destroy -> settle -> verify.

Copies made before the erase (backups, replicas) still hold the wrapped DEK, which the current
KEK can unwrap: only the next KEK rotation (a new epoch, old KEK version destroyed) covers them.
Erasure records say so (:func:`backup_coverage_note`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from core.errors import DecryptionFailed, KeyUnavailable, SekishoError
from keys.kek import KekProvider
from keys.objects import open_object_key
from keys.primitives.mac import sha256
from keys.sealed import iter_sealed
from keys.wrapped import MAGIC as WRAPPED_MAGIC
from keys.wrapped import WrappedKey

ERASE_METHOD = "cryptographic erase"
# NIST SP 800-88 Rev.1 section 2.6 / Table 5: cryptographic erase is a Purge technique.
SP800_88_METHOD_TYPE = "purge"
RESIDUE_CHUNK_BYTES = 1 << 20
# Up to this many patterns, one bytes.find per pattern (C speed) is fastest; beyond it, one
# pass with an index of short grams (a batch erase of thousands of keys).
_FIND_LIMIT = 16
_GRAM = 8

# Outcomes of check 2. Anything but OPENED passes.
OPEN_KEY_UNAVAILABLE = "key_unavailable"
OPEN_DECRYPTION_FAILED = "decryption_failed"
OPEN_CIPHERTEXT_ABSENT = "ciphertext_absent"  # resumed erase: the file was already deleted
OPEN_SUCCEEDED = "opened"


class ErasureNotVerified(SekishoError):
    """The wrapped DEK was destroyed but a check failed: no record is written and the
    ciphertext is kept until a retry verifies (the erase stays pending)."""

    code = "erasure_not_verified"
    http_status = 500
    default_message = "the crypto-erase could not be verified; it stays pending"


@dataclass(frozen=True)
class KeyNeedle:
    """What a copy of one wrapped DEK looks like to the residue scan.

    ``raw`` is known while the erase that destroys the key runs; an erase resumed after a crash
    knows only the digest and length and looks for SKWK-framed copies with that digest.
    """

    sha256: str
    length: int
    kek_version: int | None
    raw: bytes | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, wrapped: bytes) -> KeyNeedle:
        try:
            version: int | None = WrappedKey.from_bytes(wrapped).kek_version
        except DecryptionFailed:
            version = None  # malformed, but still bytes that must not survive
        return cls(sha256(wrapped).hex(), len(wrapped), version, wrapped)

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "length": self.length, "kek_version": self.kek_version}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KeyNeedle:
        return cls(str(data["sha256"]), int(data["length"]), data.get("kek_version"))

    def patterns(self) -> tuple[tuple[str, bytes], ...]:
        """(form, bytes) to search for. The AEAD output is in every copy of the wrapped DEK,
        with or without its header; the hex form catches text dumps (logs, JSON)."""
        if self.raw is None:
            return ()
        try:
            core = WrappedKey.from_bytes(self.raw).ciphertext
        except DecryptionFailed:
            core = self.raw
        return (("wrapped_dek", core), ("wrapped_dek_hex", core.hex().encode("ascii")))


@dataclass(frozen=True)
class ErasureTarget:
    """One object to erase: its key id, where its ciphertext is, and its wrapped DEK."""

    key_id: str
    sealed_path: Path
    # None when the key row was already gone: nothing known to search for.
    needle: KeyNeedle | None


class ResidueSource(Protocol):
    """Files that may hold copies of wrapped DEKs, and what the scan of them cannot cover."""

    def residue_files(self) -> tuple[Path, ...]: ...

    @property
    def residue_scope(self) -> str: ...


class WrappedKeyStore(ResidueSource, Protocol):
    """Where wrapped DEKs are stored (the service's object_keys table)."""

    def resolve(self, key_id: str) -> bytes | None:
        """The wrapped DEK stored under ``key_id``, or None if it does not resolve."""
        ...

    def settle(self) -> tuple[str, ...]:
        """Make the deletion reach the files (SQLite: TRUNCATE checkpoint); the steps taken."""
        ...


@dataclass(frozen=True)
class KeyCheck:
    key_id: str
    resolves: bool
    open_attempt: str

    @property
    def passed(self) -> bool:
        return not self.resolves and self.open_attempt != OPEN_SUCCEEDED

    def to_dict(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "key_id_resolves": self.resolves,
                "open_attempt": self.open_attempt, "passed": self.passed}


@dataclass(frozen=True)
class ResidueHit:
    path: str
    offset: int
    key_id: str
    form: str


@dataclass(frozen=True)
class ResidueScan:
    files: tuple[tuple[str, int], ...]
    keys_searched: int
    hits: tuple[ResidueHit, ...] = ()
    unreadable: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.hits and not self.unreadable

    @property
    def bytes_scanned(self) -> int:
        return sum(size for _, size in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "byte search of every file for each wrapped DEK's AES-GCM output (raw and "
                      "hex); SKWK-framed copies by SHA-256 when only the digest is known",
            "files": [{"path": path, "bytes": size} for path, size in self.files],
            "bytes_scanned": self.bytes_scanned,
            "keys_searched": self.keys_searched,
            "occurrences": [vars(hit) for hit in self.hits],
            "unreadable": list(self.unreadable),
            "clean": self.clean,
        }


@dataclass(frozen=True)
class ErasureVerification:
    checks: tuple[KeyCheck, ...]
    residue: ResidueScan
    store_steps: tuple[str, ...]
    scope: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks) and self.residue.clean

    @functools.cached_property
    def _by_key(self) -> dict[str, KeyCheck]:
        return {check.key_id: check for check in self.checks}

    def to_dict(self, key_ids: Iterable[str] | None = None) -> dict[str, Any]:
        """The result, limited to ``key_ids`` (one document of a batch) when given."""
        order = None if key_ids is None else list(key_ids)
        wanted = None if order is None else set(order)
        checks = (list(self.checks) if order is None
                  else [self._by_key[k] for k in order if k in self._by_key])
        hits = [h for h in self.residue.hits if wanted is None or h.key_id in wanted]
        return {
            "passed": all(c.passed for c in checks) and not hits and not self.residue.unreadable,
            "key_store_steps": list(self.store_steps),
            "checks": [c.to_dict() for c in checks],
            "residue_scan": self.residue.to_dict(),
            "scope": list(self.scope),
        }


def crypto_erase(
    kek: KekProvider, store: WrappedKeyStore, destroy: Callable[[], Sequence[ErasureTarget]]
) -> ErasureVerification:
    """Destroy (the service's transaction, returning what it destroyed), settle, verify.

    The caller deletes the ciphertext and writes the record only if the result ``passed``.
    """
    targets = destroy()
    steps = store.settle()
    return verify_erasure(kek, store, targets, steps)


def verify_erasure(
    kek: KekProvider, store: WrappedKeyStore, targets: Sequence[ErasureTarget],
    steps: tuple[str, ...] = (),
) -> ErasureVerification:
    checks = tuple(_check_key(kek, store, target) for target in targets)
    kek_files, kek_scope = kek_residue(kek)
    residue = scan_for_residue([*store.residue_files(), *kek_files],
                               {t.key_id: t.needle for t in targets if t.needle is not None})
    return ErasureVerification(checks, residue, steps, (store.residue_scope, kek_scope))


def _check_key(kek: KekProvider, store: WrappedKeyStore, target: ErasureTarget) -> KeyCheck:
    resolves = store.resolve(target.key_id) is not None
    return KeyCheck(target.key_id, resolves, try_open(kek, store, target))


def try_open(kek: KekProvider, store: WrappedKeyStore, target: ErasureTarget) -> str:
    """Open the object as the service would; report how it failed (or that it did not)."""
    try:
        with open(target.sealed_path, "rb") as source:
            wrapped = store.resolve(target.key_id)
            if wrapped is None:
                raise KeyUnavailable()
            data_key = open_object_key(kek, target.key_id, wrapped)
            try:
                next(iter_sealed(source, data_key, expected_key_id=target.key_id), None)
            finally:
                data_key.destroy()
    except FileNotFoundError:
        return OPEN_CIPHERTEXT_ABSENT
    except KeyUnavailable:
        return OPEN_KEY_UNAVAILABLE
    except DecryptionFailed:
        return OPEN_DECRYPTION_FAILED
    return OPEN_SUCCEEDED


def kek_residue(kek: KekProvider) -> tuple[tuple[Path, ...], str]:
    """The KEK side's files to scan (every file under the provider's residue paths: the key
    directory, or a SoftHSM2 token directory), and what that scan covers."""
    roots = kek.residue_paths()
    name = type(kek).__name__
    if not roots:
        return (), (f"{name} names no files: a hardware token cannot be scanned, but wrapped "
                    "DEKs never live in it (it holds only the KEK; the blobs are in the database)")
    files = tuple(sorted(f for root in roots for f in _files_under(root)))
    where = ", ".join(str(r) for r in roots)
    return files, f"{name} key store ({where}): every file scanned"


def _files_under(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
    elif root.is_dir():
        yield from (p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def backup_coverage_note(kek_versions: Iterable[int | None]) -> str:
    versions = sorted({v for v in kek_versions if v is not None})
    named = ", ".join(f"v{v}" for v in versions) or "unknown"
    return ("Copies of the key store taken before this erase (backups, replicas) still hold the "
            f"wrapped DEKs, which KEK version(s) {named} can unwrap: they become undecryptable "
            "only when the next KEK rotation re-wraps live keys and destroys those versions.")


# -- residue scan -------------------------------------------------------------------------


def scan_for_residue(paths: Iterable[Path], needles: Mapping[str, KeyNeedle]) -> ResidueScan:
    """Search every file for every needle in one streaming pass per file (constant memory)."""
    matcher = _Matcher(needles)
    files: list[tuple[str, int]] = []
    hits: list[ResidueHit] = []
    unreadable: list[str] = []
    for path in paths:
        try:
            files.append((str(path), _scan_file(path, matcher, hits)))
        except FileNotFoundError:
            continue  # e.g. no -journal in WAL mode: nothing there to hold a copy
        except OSError:
            unreadable.append(str(path))
    return ResidueScan(tuple(files), len(needles), tuple(hits), tuple(unreadable))


def _scan_file(path: Path, matcher: _Matcher, hits: list[ResidueHit]) -> int:
    size, carry = 0, b""
    with open(path, "rb") as source:
        while chunk := source.read(RESIDUE_CHUNK_BYTES):
            buf = carry + chunk
            base = size - len(carry)
            hits.extend(ResidueHit(str(path), base + offset, key_id, form)
                        for offset, key_id, form in matcher.matches(buf, len(carry)))
            size += len(chunk)
            carry = buf[-matcher.overlap:]
    return size


class _Matcher:
    """Finds every occurrence that ends at or after ``fresh`` (earlier ones were reported with
    the previous chunk, which overlaps this one by ``overlap`` bytes)."""

    def __init__(self, needles: Mapping[str, KeyNeedle]) -> None:
        self.patterns = [(key_id, form, data) for key_id, needle in needles.items()
                         for form, data in needle.patterns()]
        self.frames = {n.sha256: (key_id, n.length) for key_id, n in needles.items()
                       if n.raw is None}
        self.frame_lengths = sorted({length for _, length in self.frames.values()})
        longest = max([len(p[2]) for p in self.patterns] + self.frame_lengths + [_GRAM])
        self.overlap = longest - 1
        self.index = _gram_index(self.patterns) if len(self.patterns) > _FIND_LIMIT else None

    def matches(self, buf: bytes, fresh: int) -> Iterator[tuple[int, str, str]]:
        if self.index is None:
            yield from self._find_each(buf, fresh)
        else:
            yield from self._find_indexed(buf, fresh, *self.index)
        if self.frames:
            yield from self._find_frames(buf, fresh)

    def _find_each(self, buf: bytes, fresh: int) -> Iterator[tuple[int, str, str]]:
        for key_id, form, data in self.patterns:
            at = buf.find(data, max(0, fresh - len(data) + 1))
            while at != -1:
                yield at, key_id, form
                at = buf.find(data, at + 1)

    def _find_indexed(
        self, buf: bytes, fresh: int, stride: int,
        index: dict[bytes, list[tuple[int, int]]],
    ) -> Iterator[tuple[int, str, str]]:
        # Every occurrence of a pattern at least `stride + _GRAM - 1` long contains the gram
        # that starts at some multiple of `stride`, at one of its first `stride` offsets.
        seen: set[tuple[int, int]] = set()
        for at in range(0, len(buf) - _GRAM + 1, stride):
            for offset, number in index.get(buf[at:at + _GRAM], ()):
                key_id, form, data = self.patterns[number]
                start = at - offset
                if (start, number) in seen or start < 0 or start + len(data) <= fresh:
                    continue
                if buf[start:start + len(data)] == data:
                    seen.add((start, number))
                    yield start, key_id, form

    def _find_frames(self, buf: bytes, fresh: int) -> Iterator[tuple[int, str, str]]:
        at = buf.find(WRAPPED_MAGIC, max(0, fresh - self.overlap))
        while at != -1:
            for length in self.frame_lengths:
                if at + length <= len(buf) and at + length > fresh:
                    found = self.frames.get(sha256(buf[at:at + length], new_work=False).hex())
                    if found is not None and found[1] == length:
                        yield at, found[0], "wrapped_dek_frame"
            at = buf.find(WRAPPED_MAGIC, at + 1)


def _gram_index(
    patterns: Sequence[tuple[str, str, bytes]],
) -> tuple[int, dict[bytes, list[tuple[int, int]]]]:
    stride = min(len(data) for _, _, data in patterns) - _GRAM + 1
    if stride < 1:
        raise ValueError("patterns are shorter than the scan gram")
    index: dict[bytes, list[tuple[int, int]]] = {}
    for number, (_, _, data) in enumerate(patterns):
        for offset in range(stride):
            index.setdefault(data[offset:offset + _GRAM], []).append((offset, number))
    return stride, index
