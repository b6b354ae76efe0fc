"""危殆化 (Saitama 第6 1(5)ア(オ)): withdrawn algorithms are refused for new work, found in stored
objects by their headers, and re-encrypted to the current default in constant memory."""

from __future__ import annotations

import hashlib
import io
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import AlgorithmNotAllowed, ConfigurationError, DecryptionFailed
from keys.allowlist import (
    DEFAULT_ALLOWLIST,
    AlgorithmWithdrawn,
    active_allowlist,
    install_allowlist,
    require,
    withdraw,
)
from keys.handles import new_data_key
from keys.kek_file import FileKekProvider
from keys.migrate import migrate_object, object_algorithms, reseal, wrapped_algorithms
from keys.objects import new_object_key, open_object_key
from keys.sealed import SealedWriter, decrypt_all, iter_sealed, read_header
from keys.withdrawal import WithdrawalRegistry

AES = "AES-256-GCM"
CHACHA = "CHACHA20-POLY1305"


# --- the registry ---------------------------------------------------------------------------


def test_install_refuses_new_work_but_not_opening() -> None:
    WithdrawalRegistry({AES}).install()
    with pytest.raises(AlgorithmWithdrawn) as err:
        require(AES, key_bits=256)
    assert err.value.code == "algorithm_not_allowed"
    assert "危殆化" in err.value.reason
    require(AES, key_bits=256, new_work=False)


def test_registry_is_a_value() -> None:
    empty = WithdrawalRegistry()
    one = empty.withdraw(AES)
    assert empty.ids == frozenset() and one.ids == {AES}
    assert one == WithdrawalRegistry([AES]) and AES in one and len(one) == 1
    assert one.reinstate(AES) == empty
    assert one.affected({AES, "HKDF-SHA-256"}) == {AES}


def test_withdrawing_an_unknown_id_is_refused_not_silently_accepted() -> None:
    with pytest.raises(AlgorithmNotAllowed, match="already refused"):
        WithdrawalRegistry().withdraw("AES-256-GCN")  # a typo in an emergency


def test_ids_this_build_does_not_list_are_kept_but_harmless() -> None:
    registry = WithdrawalRegistry({"FUTURE-CIPHER", AES})
    allowlist = registry.apply()
    assert allowlist.withdrawn() == {AES}
    assert "FUTURE-CIPHER" in registry  # not dropped when the service rewrites its store


def test_file_round_trip_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "withdrawn.json"
    assert WithdrawalRegistry.from_file(path) == WithdrawalRegistry()
    WithdrawalRegistry({CHACHA, AES}).to_file(path)
    assert WithdrawalRegistry.from_file(path).ids == {AES, CHACHA}
    document = json.loads(path.read_text())
    assert document["withdrawn"] == [AES, CHACHA]
    assert [p.name for p in tmp_path.iterdir()] == ["withdrawn.json"]  # no temp files left


@pytest.mark.parametrize("content", [
    "", "[]", "{}", '{"format": "other", "version": 1, "withdrawn": []}',
    '{"format": "sekisho-withdrawn-algorithms", "version": 2, "withdrawn": []}',
    '{"format": "sekisho-withdrawn-algorithms", "version": 1, "withdrawn": [1]}',
    '{"format": "sekisho-withdrawn-algorithms", "version": 1, "withdrawn": "AES-256-GCM"}',
])
def test_a_malformed_file_fails_closed(tmp_path: Path, content: str) -> None:
    path = tmp_path / "withdrawn.json"
    path.write_text(content)
    with pytest.raises(ConfigurationError):
        WithdrawalRegistry.from_file(path)


def test_module_level_withdraw_changes_the_list_in_force() -> None:
    updated = withdraw(AES)
    assert active_allowlist() is updated
    assert updated.withdrawn() == {AES}
    assert withdraw(CHACHA).withdrawn() == {AES, CHACHA}


# --- finding objects by algorithm -----------------------------------------------------------


def sealed_object(kek: FileKekProvider, plaintext: bytes) -> tuple[str, bytes, bytes]:
    new = new_object_key(kek)
    sink = io.BytesIO()
    with SealedWriter(sink, new.data_key, new.key_id, segment_size=1024) as writer:
        writer.write(plaintext)
    return new.key_id, new.wrapped, sink.getvalue()


def test_object_algorithms_come_from_the_stored_bytes(kek: FileKekProvider) -> None:
    _, wrapped, blob = sealed_object(kek, b"x" * 5000)
    assert object_algorithms(io.BytesIO(blob), wrapped) == {AES, "HKDF-SHA-256"}
    assert wrapped_algorithms(wrapped) == {AES}
    install_allowlist(DEFAULT_ALLOWLIST.withdraw(AES))
    _, new_wrapped, new_blob = sealed_object(kek, b"y")
    assert object_algorithms(io.BytesIO(new_blob), new_wrapped) == {CHACHA, "HKDF-SHA-256"}


# --- re-encryption --------------------------------------------------------------------------


def test_migrate_moves_an_object_off_a_withdrawn_aead(kek: FileKekProvider) -> None:
    plaintext = bytes(range(256)) * 40
    key_id, wrapped, blob = sealed_object(kek, plaintext)
    registry = WithdrawalRegistry().withdraw(AES)
    registry.install()
    assert registry.affected(object_algorithms(io.BytesIO(blob), wrapped)) == {AES}

    sink = io.BytesIO()
    result = migrate_object(kek, io.BytesIO(blob), sink, key_id, wrapped)

    assert result.key_id != key_id and result.plaintext_bytes == len(plaintext)
    assert result.algorithms == {CHACHA, "HKDF-SHA-256"}
    assert not registry.affected(result.algorithms)  # a rerun skips it: resumable
    new_key = open_object_key(kek, result.key_id, result.wrapped)
    sealed = sink.getvalue()
    assert read_header(io.BytesIO(sealed)).algorithm == CHACHA
    assert decrypt_all(io.BytesIO(sealed), new_key, expected_key_id=result.key_id) == plaintext


def test_a_tampered_source_leaves_an_output_that_never_decrypts(kek: FileKekProvider) -> None:
    key_id, wrapped, blob = sealed_object(kek, bytes(5000))
    broken = blob[:-1] + bytes([blob[-1] ^ 1])  # the final segment's tag
    install_allowlist(DEFAULT_ALLOWLIST.withdraw(AES))
    old_key = open_object_key(kek, key_id, wrapped)
    new_key = new_data_key()
    sink = io.BytesIO()
    with pytest.raises(DecryptionFailed):
        reseal(io.BytesIO(broken), sink, old_key, new_key, "dek-new", segment_size=1024)
    with pytest.raises(DecryptionFailed):
        decrypt_all(io.BytesIO(sink.getvalue()), new_key)


def test_reseal_refuses_the_wrong_stream_for_the_key_id(kek: FileKekProvider) -> None:
    key_id, wrapped, blob = sealed_object(kek, b"abc")
    old_key = open_object_key(kek, key_id, wrapped)
    with pytest.raises(DecryptionFailed):
        reseal(io.BytesIO(blob), io.BytesIO(), old_key, new_data_key(), "dek-new",
               expected_key_id="dek-other")


def test_with_every_suite_withdrawn_migration_is_refused(kek: FileKekProvider) -> None:
    key_id, wrapped, blob = sealed_object(kek, b"abc")
    install_allowlist(DEFAULT_ALLOWLIST.withdraw(AES, CHACHA))
    with pytest.raises(AlgorithmNotAllowed):
        migrate_object(kek, io.BytesIO(blob), io.BytesIO(), key_id, wrapped)


class Generated(io.RawIOBase):
    """``size`` bytes of a keyed pattern, produced on demand (never all in memory)."""

    def __init__(self, size: int) -> None:
        self._left = size
        self._block = hashlib.sha256(b"block").digest() * 2048  # 64 KiB

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), len(self._block), self._left)
        buffer[:n] = self._block[:n]
        self._left -= n
        return n


class HashSink(io.RawIOBase):
    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.digest.update(data)
        self.size += len(data)
        return len(data)


def chunks(source: io.RawIOBase, size: int) -> Iterator[bytes]:
    while block := source.read(size):
        yield block


def test_reseal_of_a_large_stream_uses_constant_memory(tmp_path: Path) -> None:
    size = 48 * 1024 * 1024
    old_key, new_key = new_data_key(), new_data_key()
    path, out = tmp_path / "old.sealed", tmp_path / "new.sealed"
    with path.open("wb") as sink, SealedWriter(sink, old_key, "dek-old") as writer:
        for block in chunks(Generated(size), 1 << 20):
            writer.write(block)
    install_allowlist(DEFAULT_ALLOWLIST.withdraw(AES))
    tracemalloc.start()
    try:
        with path.open("rb") as source, out.open("wb") as sink:
            result = reseal(source, sink, old_key, new_key, "dek-new")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.plaintext_bytes == size
    assert peak < 8 * 1024 * 1024  # a few 1 MiB segment buffers, not 48 MiB
    expected = HashSink()
    for block in chunks(Generated(size), 1 << 20):
        expected.write(block)
    got = HashSink()
    with out.open("rb") as source:
        for part in iter_sealed(source, new_key):
            got.write(part)
    assert got.digest.hexdigest() == expected.digest.hexdigest()
