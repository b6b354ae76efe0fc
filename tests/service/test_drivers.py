"""A URL whose client library is missing stops the start with the extra to install, instead
of a worker dying inside kombu or SQLAlchemy (found by a new user running the Redis bench
on a `make run` install)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

import service.drivers as drivers
from core.errors import ConfigurationError
from core.settings import load_settings


def _settings(tmp_path: Path, **urls: str) -> Any:
    return dataclasses.replace(load_settings({"SEKISHO_DATA_DIR": str(tmp_path)}), **urls)


def test_default_urls_need_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drivers, "find_spec", lambda name: None)  # nothing installed
    drivers.require_drivers(_settings(tmp_path))


@pytest.mark.parametrize(("urls", "extra"), [
    ({"broker_url": "redis://127.0.0.1:6379/0"}, "sekisho[redis]"),
    ({"database_url": "postgresql://u@127.0.0.1/sekisho"}, "sekisho[postgres]"),
])
def test_a_missing_client_names_its_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         urls: dict[str, str], extra: str) -> None:
    monkeypatch.setattr(drivers, "find_spec", lambda name: None)
    with pytest.raises(ConfigurationError, match=extra.replace("[", r"\[")):
        drivers.require_drivers(_settings(tmp_path, **urls))


def test_installed_clients_pass(tmp_path: Path) -> None:
    pytest.importorskip("redis", reason="the redis extra is not installed")
    pytest.importorskip("psycopg", reason="the postgres extra is not installed")
    drivers.require_drivers(_settings(tmp_path, broker_url="redis://127.0.0.1:6379/0",
                                      database_url="postgresql://u@127.0.0.1/sekisho"))
