"""Layer rule for handlers: of ours it imports only core.*; no web, database or task-queue
frameworks; never cryptography.hazmat (only keys/ may)."""

from __future__ import annotations

import ast
from pathlib import Path

import handlers

HANDLERS_DIR = Path(handlers.__file__).parent
OUR_PACKAGES = {"core", "classifiers", "handlers", "keys", "service", "tests"}
ALLOWED_OURS = {"core", "handlers"}
FORBIDDEN = ("flask", "sqlalchemy", "celery", "cryptography.hazmat", "werkzeug", "kombu")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_handlers_import_only_core_of_ours() -> None:
    modules = sorted(HANDLERS_DIR.rglob("*.py"))
    assert len(modules) > 5
    for module in modules:
        for name in _imports(module):
            top = name.split(".")[0]
            if top in OUR_PACKAGES:
                assert top in ALLOWED_OURS, f"{module} imports {name}"
            assert not name.startswith(FORBIDDEN), f"{module} imports {name}"
