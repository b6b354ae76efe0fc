"""keys.erase: the three checks of crypto-erase (第1 3(17)(18)) against a real file-backed store,
and the residue scanner's edge cases (chunk boundaries, many keys, digest-only needles)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

import keys.erase as erase
from keys.erase import (
    OPEN_CIPHERTEXT_ABSENT,
    OPEN_DECRYPTION_FAILED,
    OPEN_KEY_UNAVAILABLE,
    OPEN_SUCCEEDED,
    ErasureTarget,
    KeyNeedle,
    backup_coverage_note,
    crypto_erase,
    kek_residue,
    scan_for_residue,
    verify_erasure,
)
from keys.kek import KekProvider
from keys.kek_file import FileKekProvider
from keys.objects import new_object_key
from keys.sealed import SealedWriter
from keys.wrapped import WrappedKey

MARKER = "秘密の目印 ERASE-ME-0123456789".encode()


class FileStore:
    """A key store that keeps wrapped DEKs in one file, like a database does.

    ``leaky`` mimics a journal that keeps deleted records (the SQLite -wal before a TRUNCATE
    checkpoint); ``forgetful`` mimics a store whose delete did nothing.
    """

    def __init__(self, path: Path, *, leaky: bool = False, forgetful: bool = False) -> None:
        self.path, self.leaky, self.forgetful = path, leaky, forgetful
        self.rows: dict[str, bytes] = {}
        self.settled = 0

    def put(self, key_id: str, wrapped: bytes) -> None:
        self.rows[key_id] = wrapped
        self._write()

    def destroy(self, key_ids: Iterable[str]) -> None:
        if self.forgetful:
            return
        for key_id in key_ids:
            del self.rows[key_id]
        if not self.leaky:
            self._write()

    def _write(self) -> None:
        body = b"".join(k.encode() + b"=" + v + b"\n" for k, v in sorted(self.rows.items()))
        self.path.write_bytes(b"HEADER" * 100 + body)

    def resolve(self, key_id: str) -> bytes | None:
        return self.rows.get(key_id)

    def settle(self) -> tuple[str, ...]:
        self.settled += 1
        return ("rewrite the store file",)

    def residue_files(self) -> tuple[Path, ...]:
        return (self.path, self.path.with_name("absent-journal"))

    @property
    def residue_scope(self) -> str:
        return "test store file"


def seal_object(kek: KekProvider, store: FileStore, directory: Path,
                data: bytes = MARKER) -> ErasureTarget:
    made = new_object_key(kek)
    path = directory / f"{made.key_id}.sealed"
    with open(path, "wb") as sink, SealedWriter(sink, made.data_key, made.key_id) as writer:
        writer.write(data)
    store.put(made.key_id, made.wrapped)
    return ErasureTarget(made.key_id, path, KeyNeedle.of(made.wrapped))


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "store.db")


def test_erase_passes_all_three_checks(kek: FileKekProvider, store: FileStore,
                                       tmp_path: Path) -> None:
    targets = [seal_object(kek, store, tmp_path) for _ in range(3)]
    keep = seal_object(kek, store, tmp_path)

    def destroy() -> list[ErasureTarget]:
        store.destroy(t.key_id for t in targets)
        return targets

    result = crypto_erase(kek, store, destroy)
    assert result.passed and store.settled == 1
    assert [c.open_attempt for c in result.checks] == [OPEN_KEY_UNAVAILABLE] * 3
    assert not any(c.resolves for c in result.checks)
    scanned = {Path(p).name for p, _ in result.residue.files}
    assert "store.db" in scanned and "kek-v1.key" in scanned and "audit-mac.key" in scanned
    assert result.residue.bytes_scanned > 600 and result.residue.keys_searched == 3
    assert store.resolve(keep.key_id) is not None  # only the targets were touched
    report = result.to_dict([targets[0].key_id])
    assert report["passed"] and [c["key_id"] for c in report["checks"]] == [targets[0].key_id]


def test_a_copy_left_in_a_journal_fails_the_residue_check(kek: FileKekProvider,
                                                         tmp_path: Path) -> None:
    store = FileStore(tmp_path / "store.db", leaky=True)
    target = seal_object(kek, store, tmp_path)
    store.destroy([target.key_id])
    result = verify_erasure(kek, store, [target])
    assert result.checks[0].passed  # the key is gone from the table...
    assert not result.passed  # ...but its bytes are still in the file
    assert {h.form for h in result.residue.hits} == {"wrapped_dek"}
    offset = store.path.read_bytes().find(WrappedKey.from_bytes(
        target.needle.raw or b"").ciphertext)
    assert [h.offset for h in result.residue.hits] == [offset]


def test_a_store_that_did_not_delete_fails_every_check(kek: FileKekProvider,
                                                      tmp_path: Path) -> None:
    store = FileStore(tmp_path / "store.db", forgetful=True)
    target = seal_object(kek, store, tmp_path)
    store.destroy([target.key_id])
    result = verify_erasure(kek, store, [target])
    check = result.checks[0]
    assert check.resolves and check.open_attempt == OPEN_SUCCEEDED and not check.passed
    assert not result.passed and result.residue.hits


def test_a_wrong_key_under_the_id_is_decryption_failed(kek: FileKekProvider, store: FileStore,
                                                      tmp_path: Path) -> None:
    target = seal_object(kek, store, tmp_path)
    other = new_object_key(kek)
    store.rows[target.key_id] = other.wrapped  # resolves, but cannot open this object
    assert erase.try_open(kek, store, target) == OPEN_DECRYPTION_FAILED


def test_deleted_ciphertext_is_reported_as_absent(kek: FileKekProvider, store: FileStore,
                                                 tmp_path: Path) -> None:
    target = seal_object(kek, store, tmp_path)
    target.sealed_path.unlink()
    assert erase.try_open(kek, store, target) == OPEN_CIPHERTEXT_ABSENT


def test_a_copy_planted_in_the_kek_directory_is_found(kek: FileKekProvider, store: FileStore,
                                                     tmp_path: Path) -> None:
    target = seal_object(kek, store, tmp_path)
    store.destroy([target.key_id])
    stray = kek.kek_dir / "stray.bin"
    fd = os.open(stray, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"x" * 5 + (target.needle.raw or b""))
    os.close(fd)
    result = verify_erasure(kek, store, [target])
    assert [Path(h.path).name for h in result.residue.hits] == ["stray.bin"]
    assert result.residue.hits[0].key_id == target.key_id


def test_scan_finds_a_needle_across_a_chunk_boundary_exactly_once(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(erase, "RESIDUE_CHUNK_BYTES", 64)
    wrapped = bytes(range(1, 82))
    needle = KeyNeedle("0" * 64, len(wrapped), None, wrapped)
    pattern = needle.patterns()[0][1]
    for start in range(0, 140, 7):
        path = tmp_path / f"f{start}"
        path.write_bytes(b"\0" * start + pattern + b"\0" * 50)
        scan = scan_for_residue([path], {"dek-a": needle})
        assert [h.offset for h in scan.hits] == [start], start


def test_scan_finds_hex_dumps(tmp_path: Path, kek: FileKekProvider) -> None:
    made = new_object_key(kek)
    core = WrappedKey.from_bytes(made.wrapped).ciphertext
    path = tmp_path / "log.txt"
    path.write_text(f'{{"leaked": "{core.hex()}"}}')
    scan = scan_for_residue([path], {made.key_id: KeyNeedle.of(made.wrapped)})
    assert [(h.form, h.offset) for h in scan.hits] == [("wrapped_dek_hex", 12)]


def test_many_needles_use_the_gram_index_and_find_the_same(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kek: FileKekProvider) -> None:
    monkeypatch.setattr(erase, "RESIDUE_CHUNK_BYTES", 1000)
    made = [new_object_key(kek) for _ in range(40)]
    needles = {m.key_id: KeyNeedle.of(m.wrapped) for m in made}
    body = bytearray(os.urandom(20_000))
    planted = {}
    for number, m in enumerate(made[::4]):
        at = 37 + number * 1_997  # lands across chunk boundaries too
        body[at:at + len(m.wrapped)] = m.wrapped
        planted[m.key_id] = at + len(m.wrapped) - 48  # the AEAD output ends the blob
    path = tmp_path / "big"
    path.write_bytes(bytes(body))
    assert erase._Matcher(needles).index is not None
    scan = scan_for_residue([path], needles)
    assert {h.key_id: h.offset for h in scan.hits} == planted
    one = scan_for_residue([path], {made[0].key_id: needles[made[0].key_id]})
    assert erase._Matcher({made[0].key_id: needles[made[0].key_id]}).index is None
    assert [h.offset for h in one.hits] == [planted[made[0].key_id]]


def test_digest_only_needles_find_framed_copies(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kek: FileKekProvider) -> None:
    monkeypatch.setattr(erase, "RESIDUE_CHUNK_BYTES", 50)
    made, other = new_object_key(kek), new_object_key(kek)
    remembered = KeyNeedle.of(made.wrapped)
    digest_only = KeyNeedle.from_dict(remembered.to_dict())
    assert digest_only.raw is None and digest_only.patterns() == ()
    path = tmp_path / "resumed.db"
    path.write_bytes(b"\0" * 33 + other.wrapped + b"\0" * 21 + made.wrapped + b"\0" * 9)
    scan = scan_for_residue([path], {made.key_id: digest_only})
    assert [(h.form, h.offset) for h in scan.hits] == [
        ("wrapped_dek_frame", 33 + len(other.wrapped) + 21)]
    path.write_bytes(b"\0" * 33 + other.wrapped)
    assert scan_for_residue([path], {made.key_id: digest_only}).clean


def test_needle_of_records_the_kek_version_and_tolerates_garbage(kek: FileKekProvider) -> None:
    made = new_object_key(kek)
    needle = KeyNeedle.of(made.wrapped)
    assert needle.kek_version == 1 and needle.length == len(made.wrapped)
    assert made.wrapped.hex() not in repr(needle)
    garbage = KeyNeedle.of(b"not a wrapped key at all, but bytes all the same")
    assert garbage.kek_version is None and garbage.patterns()[0][1].startswith(b"not a")


def test_unreadable_files_fail_the_scan(tmp_path: Path) -> None:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    scan = scan_for_residue([directory], {})
    assert scan.unreadable == (str(directory),) and not scan.clean


def test_kek_residue_for_other_providers(tmp_path: Path) -> None:
    token_dir = tmp_path / "tokens"
    (token_dir / "slot-uuid").mkdir(parents=True)
    (token_dir / "slot-uuid" / "token.object").write_bytes(b"x")

    class Token:
        def residue_paths(self) -> tuple[Path, ...]:
            return (token_dir, tmp_path / "missing")

    class Hardware:
        def residue_paths(self) -> tuple[Path, ...]:
            return ()

    files, scope = kek_residue(Token())  # type: ignore[arg-type]
    assert files == (token_dir / "slot-uuid" / "token.object",) and "Token key store" in scope
    files, scope = kek_residue(Hardware())  # type: ignore[arg-type]
    assert files == () and "Hardware names no files" in scope


def test_erase_under_a_pkcs11_kek_scans_the_token_files(
        pkcs11_kek: Any, tmp_path: Path) -> None:
    """SoftHSM2 keeps the token in files: the scan reads them (design: "and in the token")."""
    store = FileStore(tmp_path / "store.db")
    target = seal_object(pkcs11_kek, store, tmp_path)
    store.destroy([target.key_id])
    result = verify_erasure(pkcs11_kek, store, [target])
    assert result.passed, result.to_dict()
    token_dir = pkcs11_kek.residue_paths()[0]
    token_files = [p for p, _ in result.residue.files if Path(p).is_relative_to(token_dir)]
    assert token_files and "Pkcs11KekProvider key store" in result.scope[1]
    assert result.checks[0].open_attempt == OPEN_KEY_UNAVAILABLE


def test_backup_note_names_the_kek_versions() -> None:
    assert "v1, v3" in backup_coverage_note([3, 1, None, 1])
    assert "unknown" in backup_coverage_note([None])
