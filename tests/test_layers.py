"""The layer rule of the design: core <- classifiers/handlers/keys <- service.

Only service/ imports Flask, Celery, SQLAlchemy (and the other web/queue/db libraries); only
keys/primitives imports cryptography.hazmat; domain packages never import each other upward.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "classifiers", "handlers", "keys", "service")
ALLOWED_OURS = {
    "core": {"core"},
    "classifiers": {"core", "classifiers"},
    "handlers": {"core", "handlers"},
    "keys": {"core", "keys"},
    "service": set(PACKAGES),
}
CLASSIFIERS_ONLY = {"presidio_analyzer", "spacy", "ginza", "ja_ginza", "sudachipy"}
SERVICE_ONLY = {"flask", "werkzeug", "celery", "kombu", "sqlalchemy", "alembic", "gunicorn",
                "psycopg", "redis", "milter", "Milter"}


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def source_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def violations(package: str, path: Path) -> list[str]:
    found = []
    in_primitives = path.is_relative_to(ROOT / "keys" / "primitives")
    for name in imported_modules(path):
        top = name.split(".")[0]
        if top in PACKAGES and top not in ALLOWED_OURS[package]:
            found.append(f"{name} (layer {package} may not import {top})")
        if top in SERVICE_ONLY and package != "service":
            found.append(f"{name} (only service/ may import {top})")
        if top in CLASSIFIERS_ONLY and package != "classifiers":
            found.append(f"{name} (only classifiers/ may import {top})")
        if name.startswith("cryptography.hazmat") and not in_primitives:
            found.append(f"{name} (only keys/primitives may import cryptography.hazmat)")
        if top == "pkcs11" and not in_primitives:
            found.append(f"{name} (only keys/primitives may import pkcs11)")
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_layer_rule(package: str) -> None:
    files = source_files(package)
    assert files, f"no sources found for {package}"
    bad = {str(p.relative_to(ROOT)): v for p in files if (v := violations(package, p))}
    assert not bad, f"layer rule broken: {bad}"


def test_checker_catches_a_violation(tmp_path: Path) -> None:
    """The checker itself must be able to fail."""
    fake = ROOT / "core" / "__layer_probe__.py"
    try:
        fake.write_text("import flask\nfrom service import app\nimport presidio_analyzer\n"
                        "from cryptography.hazmat.primitives import hashes\n")
        found = violations("core", fake)
    finally:
        fake.unlink()
    assert len(found) == 4
