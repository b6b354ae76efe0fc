"""OpenAPI covers every route; SQLite runs with WAL and secure_delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text


def test_every_v1_route_is_in_the_openapi_document(app: Any, client: Any) -> None:
    spec = client.get("/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/v1/"):
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        assert path in spec["paths"], path
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            operation = spec["paths"][path][method.lower()]
            assert operation["summary"] != "(undocumented)", (method, path)
    page = client.get("/v1/docs")
    assert page.status_code == 200 and "text/html" in page.content_type


def test_sqlite_pragmas(rt: Any) -> None:
    if not rt.settings.uses_sqlite:
        pytest.skip("SQLite pragmas apply to the default SQLite database only")
    with rt.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1


def test_migrations_are_idempotent(rt: Any) -> None:
    from service.migrate import upgrade_to_head

    upgrade_to_head(rt.engine)
    versions = Path(__file__).resolve().parents[2] / "service" / "migrations" / "versions"
    newest = max(p.name.split("_", 1)[0] for p in versions.glob("0*.py"))
    with rt.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == newest


def test_the_models_match_the_migrated_schema(rt: Any) -> None:
    """The ORM models and the Alembic migrations describe the same tables and columns."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from service.models import Base

    with rt.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    structural = [d for d in diff if isinstance(d, tuple) and d[0] in (
        "add_table", "remove_table", "add_column", "remove_column")]
    assert structural == []
