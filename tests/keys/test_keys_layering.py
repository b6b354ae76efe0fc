"""Layer rule: keys imports only core.* of ours, only keys/primitives imports cryptography
(hazmat) or pkcs11, and nothing in keys knows Flask, SQLAlchemy or Celery (design.md: Layers)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

KEYS_DIR = Path(__file__).resolve().parents[2] / "keys"
OURS = {"core", "classifiers", "handlers", "keys", "service"}
ALLOWED_OURS = {"core", "keys"}
PRIMITIVES_ONLY = {"cryptography", "pkcs11"}
FORBIDDEN = {"flask", "werkzeug", "sqlalchemy", "alembic", "celery", "kombu", "presidio_analyzer"}


def imported_modules(source: str) -> list[str]:
    modules: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                modules.append("." * node.level + (node.module or ""))
            else:
                modules.append(node.module or "")
    return modules


def violations(source: str, in_primitives: bool) -> list[str]:
    found = []
    for module in imported_modules(source):
        top = module.split(".")[0]
        if module.startswith("."):
            found.append(f"relative import {module} (use absolute imports)")
        elif top in OURS and top not in ALLOWED_OURS:
            found.append(f"imports {module}")
        elif top in FORBIDDEN:
            found.append(f"imports {module}")
        elif top in PRIMITIVES_ONLY and not in_primitives:
            found.append(f"imports {module} outside keys/primitives")
    return found


def keys_sources() -> list[Path]:
    return sorted(KEYS_DIR.rglob("*.py"))


def test_the_checker_catches_each_kind_of_violation() -> None:
    assert violations("from cryptography.hazmat import x", in_primitives=False)
    assert not violations("from cryptography.hazmat import x", in_primitives=True)
    assert violations("import flask", in_primitives=True)
    assert violations("from service.db import x", in_primitives=False)
    assert violations("from . import x", in_primitives=False)
    assert not violations("from core.errors import X\nimport os", in_primitives=False)


def test_keys_package_has_sources() -> None:
    names = {p.relative_to(KEYS_DIR).as_posix() for p in keys_sources()}
    assert {"allowlist.py", "primitives/aead.py", "sealed.py"} <= names


@pytest.mark.parametrize("path", keys_sources(), ids=lambda p: p.relative_to(KEYS_DIR).as_posix())
def test_module_respects_layers(path: Path) -> None:
    in_primitives = "primitives" in path.relative_to(KEYS_DIR).parts
    assert violations(path.read_text(encoding="utf-8"), in_primitives) == []


def test_modules_stay_small() -> None:
    long = [p.name for p in keys_sources() if len(p.read_text().splitlines()) >= 400]
    assert long == []


def test_importing_keys_loads_no_web_or_db_framework() -> None:
    code = (
        "import sys, keys\n"
        "bad = [m for m in ('flask', 'sqlalchemy', 'celery') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
