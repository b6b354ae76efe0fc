"""Health, profiles, and the API description."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, redirect

from core.roles import ROLES
from service.auth import require_roles
from service.openapi import build_spec, render_html
from service.runtime import runtime
from service.serializers import profile_json

bp = Blueprint("meta", __name__)


@bp.get("/")
def index() -> Response:
    return redirect("/v1/docs")  # type: ignore[return-value]


@bp.get("/v1/health")
def health() -> dict[str, Any]:
    return {"status": "ok"}


@bp.get("/v1/openapi.json")
def openapi() -> dict[str, Any]:
    return build_spec(current_app)


@bp.get("/v1/docs")
def docs() -> Response:
    return Response(render_html(build_spec(current_app)), mimetype="text/html")


@bp.get("/v1/profiles")
@require_roles(*ROLES)
def profiles() -> dict[str, Any]:
    rt = runtime()
    return {"default": rt.settings.profile,
            "profiles": [profile_json(p) for p in rt.profiles.values()]}
