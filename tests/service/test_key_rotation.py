"""``sekisho keys rotate`` / ``keys status``: KEK rotation in epochs over the service (issue 5,
item 3; Saitama 第1 3(17)(18): after a rotation, copies of wrapped DEKs in earlier backups no
longer unwrap).

Real database (SQLite, or PostgreSQL with SEKISHO_TEST_DATABASE_URL), real blob store, the
key-file KEK and a real SoftHSM2 token (skipped with the reason when SoftHSM2 is missing).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from core.errors import DecryptionFailed, InvalidRequest, KeyUnavailable
from core.settings import Settings
from keys import OBJECT_KEY_ALGORITHM, new_object_key, open_object_key
from keys.epochs import start_rotation
from keys.sign import load_signer, sign_record
from keys.sign.cms_verify import verify_detached
from keys.sign.store import SIGNING_DIR, WRAPPED_FILE
from keys.wrapped import WrappedKey
from service import key_rotation
from service.audit import verify_chain
from service.bootstrap import initialise
from service.erasure import SqlKeyStore
from service.key_rotation import key_status, rotate_kek
from service.models import AuditEvent, ObjectKey
from service.runtime import Runtime, build_runtime
from tests.fixtures.softhsm import SoftHsmToken, softhsm, softhsm_token  # noqa: F401


@dataclass(frozen=True)
class Stored:
    key_id: str
    relpath: str
    plaintext: bytes
    wrapped_before: bytes  # as a backup taken before the rotation would hold it


def _put(rt: Runtime, count: int) -> list[Stored]:
    stored = []
    with rt.sessions.begin() as session:
        for i in range(count):
            data = f"object {i} ".encode() * (50 + i) + secrets.token_bytes(16)
            blob = rt.blobs.put_bytes(data)
            session.add(ObjectKey(key_id=blob.key_id, wrapped=blob.wrapped_key,
                                  algorithm=OBJECT_KEY_ALGORITHM, state="enabled"))
            stored.append(Stored(blob.key_id, blob.relpath, data, blob.wrapped_key))
    return stored


def _current_wrapped(rt: Runtime) -> dict[str, bytes]:
    with rt.sessions() as session:
        return {k.key_id: bytes(k.wrapped) for k in session.execute(select(ObjectKey)).scalars()
                if k.wrapped is not None}


def _assert_rotated(rt: Runtime, stored: list[Stored], version: int) -> None:
    wrapped = _current_wrapped(rt)
    assert {WrappedKey.from_bytes(w).kek_version for w in wrapped.values()} == {version}
    for item in stored:
        assert rt.blobs.read_all(item.relpath, item.key_id, wrapped[item.key_id]) == item.plaintext
        # The point of the rotation: an old backup of the key store no longer opens anything.
        with pytest.raises((KeyUnavailable, DecryptionFailed)):
            open_object_key(rt.kek, item.key_id, item.wrapped_before)
    assert rt.kek.versions() == (version,)


def _assert_signer_works(rt: Runtime, version: int) -> None:
    directory = rt.settings.kek_dir / SIGNING_DIR / "v1"
    assert WrappedKey.from_bytes((directory / WRAPPED_FILE).read_bytes()).kek_version == version
    signer = load_signer(rt.settings.kek_dir, rt.kek)
    record = b'{"rotated": true}'
    verify_detached(record, sign_record(record, signer), [signer.certificate_pem])


def test_rotate_rewraps_everything_and_destroys_the_old_version(rt: Runtime) -> None:
    stored = _put(rt, 7)
    progress: list[tuple[int, int]] = []

    outcome = rotate_kek(rt, batch=3, progress=lambda done, total: progress.append((done, total)))

    assert (outcome.from_version, outcome.to_version) == (1, 2)
    assert (outcome.rewrapped, outcome.already_current) == (7, 0)
    assert outcome.signers_rewrapped == 1
    assert outcome.destroyed == (1,) and outcome.complete
    assert progress == [(3, 7), (6, 7), (7, 7)]
    _assert_rotated(rt, stored, 2)
    _assert_signer_works(rt, 2)
    with rt.sessions() as session:
        event = session.execute(select(AuditEvent).where(
            AuditEvent.action == "keys.kek_rotated")).scalar_one()
        details = json.loads(event.details)
        assert (details["from_version"], details["to_version"]) == (1, 2)
        assert (details["rewrapped"], details["destroyed"]) == (7, [1])
        assert verify_chain(session, rt.audit_mac).ok


def test_second_rotation_moves_to_the_next_epoch(rt: Runtime) -> None:
    stored = _put(rt, 3)
    rotate_kek(rt)
    rotated = [Stored(s.key_id, s.relpath, s.plaintext, w)
               for s, w in zip(stored, (_current_wrapped(rt)[s.key_id] for s in stored),
                               strict=True)]
    outcome = rotate_kek(rt)
    assert (outcome.from_version, outcome.to_version, outcome.destroyed) == (2, 3, (2,))
    _assert_rotated(rt, rotated, 3)
    _assert_signer_works(rt, 3)


def test_interrupted_rotation_resumes_where_it_stopped(rt: Runtime) -> None:
    stored = _put(rt, 7)

    first = rotate_kek(rt, batch=2, stop_after_batches=1)

    assert not first.complete and first.destroyed == () and first.rewrapped == 2
    assert rt.kek.versions() == (1, 2)  # nothing destroyed: the old DEKs still open
    status = key_status(rt)
    assert status.rotation_under_way and status.current_version == 2
    assert status.wrapped_deks == {1: 5, 2: 2}
    for item in stored:
        open_object_key(rt.kek, item.key_id, item.wrapped_before).destroy()

    second = rotate_kek(rt, batch=2)

    assert (second.from_version, second.to_version) == (1, 2)  # resumed, no kek-v3
    assert (second.rewrapped, second.already_current, second.destroyed) == (5, 2, (1,))
    _assert_rotated(rt, stored, 2)
    _assert_signer_works(rt, 2)
    assert key_status(rt).wrapped_deks == {2: 7}


def test_a_row_committed_behind_the_scan_is_caught_up(rt: Runtime) -> None:
    """A long upload wraps its DEK at the first byte and inserts the row at the end: one that
    started before the rotation lands under the old version, possibly behind the cursor."""
    stored = _put(rt, 4)
    late = min((new_object_key(rt.kek) for _ in range(64)), key=lambda k: k.key_id)
    late.data_key.destroy()
    assert late.key_id < min(s.key_id for s in stored)  # sorts before every row: missed
    inserted: list[str] = []

    def insert_late(done: int, total: int) -> None:
        if not inserted:
            with rt.sessions.begin() as session:
                session.add(ObjectKey(key_id=late.key_id, wrapped=late.wrapped,
                                      algorithm=OBJECT_KEY_ALGORITHM, state="enabled"))
            inserted.append(late.key_id)

    outcome = rotate_kek(rt, batch=2, progress=insert_late)

    assert outcome.destroyed == (1,) and outcome.rewrapped == 5
    wrapped = _current_wrapped(rt)
    assert WrappedKey.from_bytes(wrapped[late.key_id]).kek_version == 2
    open_object_key(rt.kek, late.key_id, wrapped[late.key_id]).destroy()


def test_an_upload_spanning_a_rotation_lands_under_the_new_version(rt: Runtime) -> None:
    """A long upload wraps its DEK at the first byte; the commit moves it to the version
    current at the end, so finishing the rotation cannot orphan the object."""
    writer = rt.blobs.writer()
    writer.write(b"first half ")
    start_rotation(rt.kek)  # kek-v2 appears mid-upload
    writer.write(b"second half")
    stored = writer.commit()
    assert WrappedKey.from_bytes(stored.wrapped_key).kek_version == 2
    assert rt.blobs.read_all(stored.relpath, stored.key_id, stored.wrapped_key) == (
        b"first half second half")


def test_an_upload_outliving_the_old_version_stores_nothing(rt: Runtime) -> None:
    writer = rt.blobs.writer()
    writer.write(b"data")
    start_rotation(rt.kek)
    rt.kek.destroy_version(1)  # the rotation finished while the upload was still running
    with pytest.raises(KeyUnavailable):
        writer.commit()
    writer.abort()
    assert not list(rt.blobs.root.rglob("*.sealed*"))


def test_status_counts_wrapped_deks_per_version(rt: Runtime) -> None:
    _put(rt, 3)
    status = key_status(rt)
    assert status.to_dict() == {"provider": "file", "versions": [1], "current_version": 1,
                                "wrapped_deks": {"1": 3}, "rotation_under_way": False}
    start_rotation(rt.kek)
    _put(rt, 2)  # created during the rotation: wrapped under the new version at once
    assert key_status(rt).to_dict() == {
        "provider": "file", "versions": [1, 2], "current_version": 2,
        "wrapped_deks": {"1": 3, "2": 2}, "rotation_under_way": True}


def test_old_wrapped_bytes_are_gone_from_the_sqlite_files(rt: Runtime) -> None:
    if not rt.settings.uses_sqlite:
        pytest.skip("PostgreSQL's files are not readable from here (VACUUM is the settle step)")
    stored = _put(rt, 5)
    files = SqlKeyStore(rt).residue_files()

    def occurrences() -> int:
        found = 0
        for path in (p for p in files if p.exists()):
            content = path.read_bytes()
            found += sum(content.count(item.wrapped_before) for item in stored)
        return found

    assert occurrences() >= len(stored)  # the search does find them before the rotation
    outcome = rotate_kek(rt, batch=2)
    assert any("WAL truncated" in step for step in outcome.settled)
    assert occurrences() == 0  # not in the database file, its free pages or the -wal


def test_batch_size_is_checked(rt: Runtime) -> None:
    with pytest.raises(InvalidRequest):
        rotate_kek(rt, batch=0)
    assert rt.kek.versions() == (1,)  # refused before anything was created


# -- the command line ---------------------------------------------------------------------


@pytest.fixture
def cli_env(rt: Runtime, service_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Runtime:
    for name, value in service_env.items():
        monkeypatch.setenv(name, value)
    return rt


def test_cli_rotate_and_status(cli_env: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    stored = _put(cli_env, 3)

    assert key_rotation.main(["keys", "rotate", "--batch", "2", "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert {k: out[k] for k in ("from_version", "to_version", "rewrapped", "already_current",
                                "destroyed")} == {
        "from_version": 1, "to_version": 2, "rewrapped": 3, "already_current": 0,
        "destroyed": [1]}
    assert out["settled"]
    assert "re-wrapped 2/3" in captured.err and "re-wrapped 3/3" in captured.err
    for item in stored:
        assert item.wrapped_before.hex() not in captured.out + captured.err

    assert key_rotation.main(["keys", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status == {"provider": "file", "versions": [2], "current_version": 2,
                      "wrapped_deks": {"2": 3}, "rotation_under_way": False}

    assert key_rotation.main(["keys", "status"]) == 0
    assert "kek-v2: 3 wrapped DEK(s)" in capsys.readouterr().out


def test_cli_bad_batch_is_a_json_error(cli_env: Runtime,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert key_rotation.main(["keys", "rotate", "--batch", "0", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"] == "invalid_request"


# -- PKCS#11 (a real SoftHSM2 token) ------------------------------------------------------


@pytest.fixture
def pkcs11_rt(settings: Settings, softhsm_token: SoftHsmToken,  # noqa: F811
              monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """The service built exactly as in production with SEKISHO_PKCS11_* set: KEK and signing
    key's wrap on the token, with a key-label prefix of its own on the shared test token."""
    monkeypatch.setenv("SEKISHO_PKCS11_MODULE", softhsm_token.module)
    monkeypatch.setenv("SEKISHO_PKCS11_TOKEN", softhsm_token.label)
    monkeypatch.setenv("SEKISHO_PKCS11_PIN_FILE", str(softhsm_token.pin_file))
    monkeypatch.setenv("SEKISHO_PKCS11_KEY_PREFIX", f"r{secrets.token_hex(4)}-")
    monkeypatch.setenv("SEKISHO_PKCS11_TOKEN_DIR", str(softhsm_token.token_dir))
    initialise(settings, quiet=True)
    runtime = build_runtime(settings)
    yield runtime
    runtime.engine.dispose()


def test_rotation_with_a_pkcs11_token(pkcs11_rt: Runtime) -> None:
    rt = pkcs11_rt
    assert key_status(rt).provider == "pkcs11"
    assert not (rt.settings.kek_dir / "kek-v1.key").exists()  # the KEK is on the token
    stored = _put(rt, 5)

    first = rotate_kek(rt, batch=2, stop_after_batches=1)
    assert not first.complete and key_status(rt).wrapped_deks == {1: 3, 2: 2}
    outcome = rotate_kek(rt, batch=2)

    assert (outcome.to_version, outcome.rewrapped, outcome.destroyed) == (2, 3, (1,))
    assert outcome.signers_rewrapped == 1
    _assert_rotated(rt, stored, 2)
    _assert_signer_works(rt, 2)
    assert key_status(rt).to_dict()["wrapped_deks"] == {"2": 5}

