"""Format names (password ZIP refused with the reason) and export passwords."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import AlgorithmNotAllowed, InvalidRequest
from keys.export import (
    ExportFormat,
    UnknownExportFormat,
    WeakPassword,
    generate_password,
    parse_export_format,
    read_password_file,
)
from keys.export.passwords import check_supplied_password, generated_password_bits


@pytest.mark.parametrize("name", ["cms", "PDF", " sealed "])
def test_known_formats(name: str) -> None:
    assert parse_export_format(name) is ExportFormat(name.strip().lower())


def test_password_zip_is_refused_with_the_reason() -> None:
    with pytest.raises(AlgorithmNotAllowed) as info:
        parse_export_format("zip")
    assert info.value.code == "algorithm_not_allowed"
    for reason in ("SHA-1", "PPAP", "2020-11-26", "--format cms"):
        assert reason in info.value.message


@pytest.mark.parametrize("name", ["pgp", "openpgp", "age", "password-zip"])
def test_other_refused_containers(name: str) -> None:
    with pytest.raises(AlgorithmNotAllowed, match=r"CRYPTREC|PPAP"):
        parse_export_format(name)


def test_unknown_format() -> None:
    with pytest.raises(UnknownExportFormat) as info:
        parse_export_format("rar")
    assert info.value.code == "unknown_export_format"


def test_generated_passwords() -> None:
    assert generated_password_bits() >= 128
    batch = {generate_password() for _ in range(200)}
    assert len(batch) == 200
    assert not set("0O1lI") & set("".join(batch))  # no look-alikes


def test_supplied_passwords_need_length() -> None:
    with pytest.raises(WeakPassword) as info:
        check_supplied_password("fifteen chars!!")
    assert info.value.code == "weak_password"
    assert check_supplied_password("sixteen chars!!!") == "sixteen chars!!!"


def test_password_file_first_line(tmp_path: Path) -> None:
    path = tmp_path / "pw"
    path.write_bytes("パスワード with spaces \r\nsecond line\n".encode())
    assert read_password_file(path) == "パスワード with spaces "
    path.write_bytes(b"")
    with pytest.raises(InvalidRequest, match="empty"):
        read_password_file(path)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(InvalidRequest, match="UTF-8"):
        read_password_file(path)
    with pytest.raises(InvalidRequest, match="cannot read"):
        read_password_file(tmp_path / "missing")
