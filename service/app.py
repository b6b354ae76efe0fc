"""The Flask app factory. Views are thin: parse, call the domain, record, respond."""

from __future__ import annotations

import logging

from flask import Flask

from service.api import (
    approvals,
    audit,
    classification,
    disposals,
    documents,
    erasures,
    exports,
    handling,
    mail,
    mail_quarantine,
    meta,
    users,
    verification,
)
from service.api.errors import register_error_handlers
from service.runtime import EXTENSION_KEY, Runtime, build_runtime, close_db_session


def create_app(rt: Runtime | None = None) -> Flask:
    app = Flask("sekisho")
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION_KEY] = rt or build_runtime()
    for blueprint in (meta.bp, users.bp, documents.bp, classification.bp, audit.bp, erasures.bp,
                      verification.bp, approvals.bp, handling.bp, exports.bp, disposals.bp,
                      mail.bp, mail_quarantine.bp):
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    app.teardown_appcontext(close_db_session)
    logging.getLogger("sekisho").setLevel(logging.INFO)
    return app
