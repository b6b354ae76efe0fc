"""The one place where errors become HTTP responses: ``{"error": code, "message": ...}``.

No stack trace ever reaches a client; unexpected exceptions are logged here with their
trace and answered with a generic 500.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from core.errors import SekishoError

log = logging.getLogger("sekisho.api")

HTTP_CODES = {
    400: "invalid_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_content",
}


def error_response(code: str, message: str, status: int) -> tuple[Response, int]:
    return jsonify({"error": code, "message": message}), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(SekishoError)
    def _sekisho(error: SekishoError) -> tuple[Response, int]:
        if error.http_status >= 500:
            log.error("request failed: %s: %s", error.code, error.message)
        return error_response(error.code, error.message, error.http_status)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        code = HTTP_CODES.get(status, "http_error")
        return error_response(code, error.description or code, status)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unexpected error while serving a request")
        return error_response("internal_error", "internal error", 500)
