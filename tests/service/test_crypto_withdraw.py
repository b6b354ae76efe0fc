"""危殆化 (Saitama 第6 1(5)ア(オ); issue 5, item 7): ``sekisho crypto withdraw|reinstate|status|
migrate`` over a real database (SQLite, or PostgreSQL with SEKISHO_TEST_DATABASE_URL), the real
blob store and key-file KEK, and (when SoftHSM2 is installed) a real PKCS#11 token.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.errors import AlgorithmNotAllowed
from core.settings import Settings
from keys import SealedWriter, new_data_key
from keys.allowlist import DEFAULT_ALLOWLIST, active_allowlist, install_allowlist, require
from keys.migrate import object_algorithms
from keys.sealed_format import SUITES
from service.audit import verify_chain
from service.blobstore import StoredBlob
from service.bootstrap import initialise
from service.crypto_admin import main
from service.crypto_migration import MIGRATE_PART, migrate_withdrawn
from service.erasure import SqlKeyStore
from service.jobs import run_job
from service.models import AuditEvent, Blob, ObjectKey, WithdrawnAlgorithm
from service.runtime import Runtime, build_runtime
from service.versions import read_version
from service.withdrawals import StoredObject, blob_algorithms
from tests.fixtures.softhsm import SoftHsmToken, softhsm, softhsm_token  # noqa: F401
from tests.service.conftest import ROOT, subprocess_env

AES, CHACHA = "AES-256-GCM", "CHACHA20-POLY1305"
BIG = 2_500_000  # three 1 MiB segments: the re-encryption streams more than one


@pytest.fixture(autouse=True)
def default_allowlist() -> Iterator[None]:
    """Each test starts and ends with the stock list (the list in force is process-wide)."""
    install_allowlist(DEFAULT_ALLOWLIST)
    yield
    install_allowlist(DEFAULT_ALLOWLIST)


@pytest.fixture
def cli_env(service_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI builds its runtime from the environment, like `sekisho crypto …` does."""
    for name in [n for n in os.environ if n.startswith("SEKISHO_")]:
        monkeypatch.delenv(name)
    for name, value in service_env.items():
        monkeypatch.setenv(name, value)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(["crypto", *argv, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


@pytest.fixture
def cli(cli_env: None, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, Any]]:
    def run(*argv: str) -> tuple[int, Any]:
        code, out, _ = run_cli(capsys, *argv)
        return code, out
    return run


def blobs_of(rt: Runtime) -> dict[str, dict[str, Any]]:
    with rt.sessions() as session:
        rows = session.execute(select(Blob, ObjectKey).join(
            ObjectKey, ObjectKey.key_id == Blob.key_id)).all()
        return {b.id: {"document_id": b.document_id, "kind": b.kind, "key_id": b.key_id,
                       "relpath": b.relpath, "sha256": b.sha256, "wrapped": k.wrapped}
                for b, k in rows}


def algorithms_of(rt: Runtime, blob: dict[str, Any], blob_id: str) -> frozenset[str]:
    return blob_algorithms(rt, StoredObject(blob_id, blob["document_id"], blob["kind"],
                                            blob["relpath"], blob["key_id"], blob["wrapped"]))


def new_object_algorithms(rt: Runtime, new: StoredBlob) -> frozenset[str]:
    with open(rt.blobs.root / new.relpath, "rb") as source:
        return object_algorithms(source, new.wrapped_key)


def audit_actions(rt: Runtime) -> list[str]:
    with rt.sessions() as session:
        return list(session.execute(select(AuditEvent.action).order_by(AuditEvent.seq))
                    .scalars())


def read(rt: Runtime, document_id: str, kind: str) -> bytes:
    with rt.sessions() as session:
        return read_version(session, rt.blobs, document_id, kind)


# -- withdraw, status, reinstate ------------------------------------------------------------


def test_withdraw_persists_and_every_new_process_refuses_it(
        rt: Runtime, settings: Settings, stored: Callable[..., str], service_env: dict[str, str],
        cli: Callable[..., tuple[int, Any]]) -> None:
    doc = stored(original=b"old object under AES-256-GCM")
    code, out = cli("withdraw", AES, "--reason", "CRYPTREC notice (test)")
    assert code == 0, out
    assert out["withdrawn"] == [AES] and out["changed"] is True
    # The blob, and the service signing key (its private key is sealed and wrapped too).
    assert out["count"] == 2
    by_kind = {o["kind"]: o for o in out["affected"]}
    assert by_kind["original"]["document_id"] == doc and AES in by_kind["original"]["algorithms"]
    assert by_kind["signing-key"]["key_id"] == "signing-v1"
    with rt.sessions() as session:
        row = session.get_one(WithdrawnAlgorithm, AES)
        assert row.reason == "CRYPTREC notice (test)" and row.withdrawn_by.startswith("cli")
        assert verify_chain(session, rt.audit_mac).ok
    assert "crypto.algorithm_withdrawn" in audit_actions(rt)

    # A fresh process: nothing in memory, only the database.
    install_allowlist(DEFAULT_ALLOWLIST)
    fresh = build_runtime(settings)
    try:
        with pytest.raises(AlgorithmNotAllowed, match="withdrawn"):
            require(AES)
        with pytest.raises(AlgorithmNotAllowed):
            SealedWriter(open(os.devnull, "wb"), new_data_key(), "dek-test",
                         suite=next(s for s in SUITES if s.content == AES))
        assert read(fresh, doc, "original") == b"old object under AES-256-GCM"  # old: readable
        assert AES not in new_object_algorithms(fresh, fresh.blobs.put_bytes(b"new work"))
    finally:
        fresh.engine.dispose()

    # And a real separate process (a worker or the API started later).
    probe = ("from keys.allowlist import require\nfrom service.runtime import build_runtime\n"
             "build_runtime()\ntry:\n    require('AES-256-GCM')\nexcept Exception as e:\n"
             "    print(e.code)\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, env=subprocess_env(service_env), timeout=120)
    assert result.stdout.strip() == "algorithm_not_allowed", result.stderr


def test_a_running_process_picks_up_a_later_withdrawal(
        rt: Runtime, stored: Callable[..., str], cli: Callable[..., tuple[int, Any]]) -> None:
    assert cli("withdraw", AES)[0] == 0
    install_allowlist(DEFAULT_ALLOWLIST)  # this process (the API, a worker) never saw it
    new = rt.blobs.put_bytes(b"uploaded after the withdrawal")  # the writer refreshes first
    assert AES in active_allowlist().withdrawn()
    assert AES not in new_object_algorithms(rt, new)
    install_allowlist(DEFAULT_ALLOWLIST)
    assert run_job(rt, str(uuid.uuid4())) == "skipped"  # a pipeline job start refreshes too
    assert AES in active_allowlist().withdrawn()
    assert cli("reinstate", AES)[0] == 0
    rt.refresh_withdrawals()
    assert active_allowlist().withdrawn() == frozenset()


@pytest.mark.parametrize("name", ["AES-128-GCM", "AES-256-GCN", "ZIPCRYPTO"])
def test_an_unknown_algorithm_is_refused_with_the_reason(
        rt: Runtime, cli: Callable[..., tuple[int, Any]], name: str) -> None:
    code, out = cli("withdraw", name)
    assert code == 2 and out["error"] == "algorithm_not_allowed"
    assert name in out["message"] and "not allowed" in out["message"]
    with rt.sessions() as session:
        assert session.execute(select(WithdrawnAlgorithm)).first() is None
    assert cli("status")[1]["withdrawn"] == []


def test_an_unknown_algorithm_without_json_exits_2(
        rt: Runtime, cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["crypto", "withdraw", "DES"]) == 2
    assert "algorithm_not_allowed" in capsys.readouterr().err


def test_status_counts_and_reinstate(rt: Runtime, stored: Callable[..., str],
                                     cli: Callable[..., tuple[int, Any]]) -> None:
    stored(original=b"one", sanitised=b"two")
    stored(original=b"three")
    assert cli("status")[1] == {"withdrawn": [], "affected": 0, "unreadable": []}
    assert cli("withdraw", CHACHA)[1]["count"] == 0  # nothing uses it yet
    assert cli("withdraw", AES)[1]["count"] == 3 + 1  # and the signing key
    code, again = cli("withdraw", AES)
    assert code == 0 and again["changed"] is False
    status = cli("status")[1]
    assert {w["algorithm"]: w["affected"] for w in status["withdrawn"]} == {AES: 4, CHACHA: 0}
    assert status["affected"] == 4
    code, out = cli("reinstate", AES)
    assert code == 0 and out == {"algorithm": AES, "changed": True, "withdrawn": [CHACHA]}
    assert [w["algorithm"] for w in cli("status")[1]["withdrawn"]] == [CHACHA]
    assert active_allowlist().withdrawn() == {CHACHA}
    actions = audit_actions(rt)
    assert actions.count("crypto.algorithm_withdrawn") == 2  # the repeat changed nothing
    assert actions.count("crypto.algorithm_reinstated") == 1


# -- migrate --------------------------------------------------------------------------------


def files_containing(paths: list[Path], needle: bytes) -> list[str]:
    return [str(p) for p in paths if p.is_file() and needle in p.read_bytes()]


def test_migrate_moves_every_affected_object(
        rt: Runtime, stored: Callable[..., str], cli_env: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    big = secrets.token_bytes(BIG)
    docs = {stored(original=big, sanitised=b"clean copy"): {"original": big,
                                                           "sanitised": b"clean copy"},
            stored(original="個人番号なし".encode()): {"original": "個人番号なし".encode()}}
    before = blobs_of(rt)
    assert all(AES in algorithms_of(rt, b, i) for i, b in before.items())
    run_cli(capsys, "withdraw", AES)
    code, out, err = run_cli(capsys, "migrate", "--batch", "2")
    assert code == 0, out
    assert out["migrated"] == 3 and out["remaining"] == 0 and out["failed"] == []
    assert "migrated 3/3" in err
    after = blobs_of(rt)
    assert set(after) == set(before)
    store = SqlKeyStore(rt)
    for blob_id, old in before.items():
        new = after[blob_id]
        algorithms = algorithms_of(rt, new, blob_id)
        assert AES not in algorithms and CHACHA in algorithms
        assert new["key_id"] != old["key_id"] and new["sha256"] == old["sha256"]
        assert store.resolve(old["key_id"]) is None  # old DEK crypto-erased
        assert not (rt.blobs.root / old["relpath"]).exists()
        assert (rt.blobs.root / new["relpath"]).exists()
        assert files_containing(list(store.residue_files()), old["wrapped"]) == []
    for doc, versions in docs.items():
        for kind, data in versions.items():
            plain = read(rt, doc, kind)
            assert hashlib.sha256(plain).hexdigest() == hashlib.sha256(data).hexdigest()
    assert not list(rt.blobs.root.rglob(f"*{MIGRATE_PART}"))
    assert "crypto.objects_migrated" in audit_actions(rt)
    with rt.sessions() as session:
        assert verify_chain(session, rt.audit_mac).ok
    # The signing key is replaced: a new version sealed without AES-256-GCM, the old private
    # half crypto-erased, its certificate kept so old signatures still verify.
    assert [(k["key_id"], k["renewed_to"]) for k in out["signing_keys"]] == [
        ("signing-v1", "signing-v2")]
    from keys.sign import load_signer, verification_certificates
    from keys.sign.store import has_private_key

    assert not has_private_key(rt.settings.kek_dir, 1)
    assert len(verification_certificates(rt.settings.kek_dir)) == 2
    assert load_signer(rt.settings.kek_dir, rt.kek).key_id == "signing-v2"
    status = run_cli(capsys, "status")[1]
    assert status["withdrawn"][0]["affected"] == 0  # nothing is left
    code, again, _ = run_cli(capsys, "migrate")
    assert (code, again["migrated"], again["remaining"]) == (0, 0, 0)


def test_an_interrupted_migration_resumes(rt: Runtime, stored: Callable[..., str],
                                          cli: Callable[..., tuple[int, Any]]) -> None:
    docs = {stored(original=f"document {i}".encode()): f"document {i}".encode()
            for i in range(4)}
    cli("withdraw", AES)
    first = migrate_withdrawn(rt, stop_after=1)  # "killed" after one object
    assert first.migrated == 1 and first.interrupted
    moved = [i for i, b in blobs_of(rt).items() if AES not in algorithms_of(rt, b, i)]
    assert len(moved) == 1
    # What a kill mid-object leaves: a half-written part, and a new file renamed into place
    # whose transaction never committed (the database still names the old one).
    waiting = next(i for i in blobs_of(rt) if i not in moved)
    half = rt.blobs.root / waiting[:2] / f"{waiting}.0badc0de.sealed{MIGRATE_PART}"
    uncommitted = rt.blobs.root / waiting[:2] / f"{waiting}.feedface.sealed"
    half.write_bytes(b"partial")
    uncommitted.write_bytes(b"renamed, never committed")
    code, out = cli("migrate")
    assert code == 0 and out["migrated"] == 3 and out["remaining"] == 0 and out["swept"] == 2
    assert not half.exists() and not uncommitted.exists()
    assert all(AES not in algorithms_of(rt, b, i) for i, b in blobs_of(rt).items())
    for doc, data in docs.items():
        assert read(rt, doc, "original") == data


def test_a_blob_that_fails_is_reported_and_the_others_move(
        rt: Runtime, stored: Callable[..., str], cli: Callable[..., tuple[int, Any]]) -> None:
    good = stored(original=b"intact")
    bad = stored(original=b"tampered with on disk")
    bad_blob = next(i for i, b in blobs_of(rt).items() if b["document_id"] == bad)
    path = rt.blobs.root / blobs_of(rt)[bad_blob]["relpath"]
    data = bytearray(path.read_bytes())
    data[-1] ^= 1  # the final segment's tag no longer verifies
    path.write_bytes(bytes(data))
    cli("withdraw", AES)
    code, out = cli("migrate")
    assert code == 1
    assert out["migrated"] == 1 and out["remaining"] == 1
    assert out["failed"] == [{"blob_id": bad_blob, "error": "decryption_failed"}]
    assert read(rt, good, "original") == b"intact"
    assert path.exists() and AES in algorithms_of(rt, blobs_of(rt)[bad_blob], bad_blob)
    assert not list(rt.blobs.root.rglob(f"*{MIGRATE_PART}"))
    assert len(list(path.parent.glob(f"{bad_blob}*"))) == 1  # no new file left for it


def test_migrate_refuses_when_no_suite_avoids_the_withdrawn(
        rt: Runtime, stored: Callable[..., str], cli: Callable[..., tuple[int, Any]]) -> None:
    stored(original=b"x")
    cli("withdraw", AES)
    cli("withdraw", CHACHA)
    before = blobs_of(rt)
    code, out = cli("migrate")
    assert code == 2 and out["error"] == "migration_blocked"
    assert "no sealed suite is left" in out["message"]
    assert "Nothing was re-encrypted" in out["message"]
    assert blobs_of(rt) == before


def test_migrate_with_nothing_withdrawn_does_nothing(
        rt: Runtime, stored: Callable[..., str], cli: Callable[..., tuple[int, Any]]) -> None:
    stored(original=b"x")
    before = blobs_of(rt)
    code, out = cli("migrate")
    assert (code, out["migrated"], out["remaining"], out["withdrawn"]) == (0, 0, 0, [])
    assert blobs_of(rt) == before


@pytest.fixture
def pkcs11_rt(settings: Settings, softhsm_token: SoftHsmToken,  # noqa: F811
              monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    monkeypatch.setenv("SEKISHO_PKCS11_MODULE", softhsm_token.module)
    monkeypatch.setenv("SEKISHO_PKCS11_TOKEN", softhsm_token.label)
    monkeypatch.setenv("SEKISHO_PKCS11_PIN_FILE", str(softhsm_token.pin_file))
    monkeypatch.setenv("SEKISHO_PKCS11_KEY_PREFIX", f"w{secrets.token_hex(4)}-")
    monkeypatch.setenv("SEKISHO_PKCS11_TOKEN_DIR", str(softhsm_token.token_dir))
    initialise(settings, quiet=True)
    runtime = build_runtime(settings)
    yield runtime
    runtime.engine.dispose()


def test_pkcs11_wrap_cannot_avoid_aes_gcm_and_says_so(pkcs11_rt: Runtime) -> None:
    """The token wraps only with CKM_AES_GCM: withdrawing AES-256-GCM blocks the migration
    (clearly, before anything changes) instead of silently wrapping with it again."""
    from service.crypto_migration import MigrationBlocked
    from service.withdrawals import withdraw_algorithm

    rt = pkcs11_rt
    stored_blob = rt.blobs.put_bytes(b"on the token")
    withdraw_algorithm(rt, AES, actor="test")
    with pytest.raises(MigrationBlocked, match="Pkcs11KekProvider cannot wrap") as blocked:
        migrate_withdrawn(rt)
    assert AES in blocked.value.message and "Nothing was re-encrypted" in blocked.value.message
    assert (rt.blobs.root / stored_blob.relpath).exists()


def test_sekisho_seal_obeys_the_stored_withdrawals(
        rt: Runtime, tmp_path: Path, cli: Callable[..., tuple[int, Any]],
        capsys: pytest.CaptureFixture[str]) -> None:
    """A one-shot `sekisho seal` reads the deployment's withdrawals before it encrypts: with
    AES-256-GCM withdrawn a sealed export uses ChaCha20-Poly1305; with AES-256-CBC withdrawn
    a PDF export (R6 knows no other cipher) is refused."""
    source = tmp_path / "in.txt"
    source.write_bytes("報告書".encode() * 100)
    password = tmp_path / "pw"
    password.write_text("correct horse battery staple 2026\n")
    assert cli("withdraw", AES)[0] == 0
    from service.cli import main as sekisho

    code = sekisho(["seal", str(source), "-o", str(tmp_path / "out.sealed"), "--format", "sealed",
                 "--password-file", str(password), "--no-sign", "--json"])
    sealed = json.loads(capsys.readouterr().out)
    assert code == 0, sealed
    assert CHACHA in json.dumps(sealed["algorithms"]) and AES not in json.dumps(
        sealed["algorithms"])
    from tests.fixtures.pdfgen import make_text_pdf

    pdf = tmp_path / "in.pdf"
    pdf.write_bytes(make_text_pdf("報告書"))
    assert cli("withdraw", "AES-256-CBC")[0] == 0  # what PDF R6 encryption uses
    code = sekisho(["seal", str(pdf), "-o", str(tmp_path / "out.pdf"), "--format", "pdf",
                 "--no-sign", "--json"])
    refused = json.loads(capsys.readouterr().out)
    assert code == 2 and refused["error"] == "algorithm_not_allowed", refused
    assert not (tmp_path / "out.pdf").exists()
