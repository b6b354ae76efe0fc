"""The CLI contracts: init (first admin, token shown once), users, tokens, bad profiles."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.service.conftest import ROOT, subprocess_env


def sekisho(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT,
                          env=subprocess_env(env), capture_output=True, text=True, timeout=120)


def test_init_prints_the_admin_token_once(service_env: dict[str, str]) -> None:
    first = sekisho(service_env, "init")
    assert first.returncode == 0, first.stderr
    token = next(line.strip() for line in first.stdout.splitlines()
                 if line.strip().startswith("skt_"))
    second = sekisho(service_env, "init")
    assert second.returncode == 0 and token not in second.stdout and "skt_" not in second.stdout
    data_dir = Path(service_env["SEKISHO_DATA_DIR"])
    assert (data_dir.stat().st_mode & 0o777) == 0o700
    assert ((data_dir / "kek").stat().st_mode & 0o777) == 0o700


def test_users_and_tokens(service_env: dict[str, str], client: Any) -> None:
    added = sekisho(service_env, "users", "add", "carol", "--role", "uploader",
                    "--role", "approver", "--profile", "soka-yashio-fire", "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["roles"] == ["approver", "uploader"]
    created = sekisho(service_env, "tokens", "create", "--user", "carol", "--json")
    token = json.loads(created.stdout)["token"]
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["name"] == "carol" and me["effective_profile"] == "soka-yashio-fire"
    dup = sekisho(service_env, "users", "add", "carol", "--role", "uploader")
    assert dup.returncode == 2 and "user_exists" in dup.stderr
    unknown = sekisho(service_env, "tokens", "create", "--user", "nobody", "--json")
    assert unknown.returncode == 2 and "not_found" in unknown.stderr
    bad_profile = sekisho(service_env, "users", "add", "dave", "--role", "uploader",
                          "--profile", "no-such-profile")
    assert bad_profile.returncode == 2 and "unknown_profile" in bad_profile.stderr


def test_invalid_profile_stops_start_up_naming_file_and_field(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    src = (ROOT / "core" / "profiles" / "saitama-police-2023.yaml").read_text(encoding="utf-8")
    broken = src.replace("id: saitama-police-2023", "id: broken-profile", 1)
    broken = "\n".join(line for line in broken.splitlines()
                       if not line.strip().startswith("title:"))
    (profiles / "broken-profile.yaml").write_text(broken, encoding="utf-8")
    env = {**service_env, "SEKISHO_PROFILE_DIR": str(profiles)}
    result = sekisho(env, "init")
    assert result.returncode == 2
    assert "broken-profile.yaml" in result.stderr and "title" in result.stderr
    assert not Path(service_env["SEKISHO_DATA_DIR"], "kek").exists()


def test_unknown_default_profile_is_refused(service_env: dict[str, str]) -> None:
    result = sekisho({**service_env, "SEKISHO_PROFILE": "nowhere"}, "init")
    assert result.returncode == 2 and "nowhere" in result.stderr


def test_classify_prints_labels_and_hashes_never_the_values(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    from tests.service.test_pipeline import my_number

    number = my_number("31415926535")
    path = tmp_path / "memo.txt"
    path.write_text(f"【極秘】\n氏名 山田太郎\n個人番号 {number}\n", encoding="utf-8")
    result = sekisho(service_env, "classify", str(path), "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["labels"]["confidentiality"] == "C3"
    entities = {f["entity"] for f in out["findings"]}
    assert {"JP_MY_NUMBER", "CLASSIFICATION_MARKING"} <= entities
    my = next(f for f in out["findings"] if f["entity"] == "JP_MY_NUMBER")
    assert set(my) >= {"start", "end", "score", "text_hash"} and my["text_hash"]
    assert out["floor_reasons"]
    assert number not in result.stdout and number not in result.stderr
    assert "山田太郎" not in result.stdout
    fire = sekisho(service_env, "classify", str(path), "--profile", "soka-yashio-fire",
                   "--json")
    assert json.loads(fire.stdout)["profile"] == "soka-yashio-fire"
    missing = sekisho(service_env, "classify", str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and "no_such_file" in missing.stderr
