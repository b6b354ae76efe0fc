"""/v1/users and /v1/me: account administration (security_admin) and self-inspection."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from sqlalchemy import select

from core.errors import InvalidRequest
from core.roles import ROLES, SECURITY_ADMIN
from service.accounts import create_token, create_user, find_user
from service.auth import current_user, require_roles
from service.models import User
from service.runtime import db_session, runtime
from service.serializers import user_json

bp = Blueprint("users", __name__, url_prefix="/v1")


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidRequest("a JSON object body is required")
    return body


@bp.get("/me")
@require_roles(*ROLES)
def me() -> dict[str, Any]:
    user = current_user()
    return {**user_json(user), "effective_profile": runtime().profile(user.profile).id}


@bp.get("/users")
@require_roles(SECURITY_ADMIN)
def list_users() -> dict[str, Any]:
    users = db_session().execute(select(User).order_by(User.name)).scalars().all()
    return {"users": [user_json(u) for u in users]}


@bp.post("/users")
@require_roles(SECURITY_ADMIN)
def add_user() -> tuple[dict[str, Any], int]:
    body = _json_body()
    roles = body.get("roles") or ([body["role"]] if body.get("role") else [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise InvalidRequest("roles must be a list of role names", code="invalid_role")
    name, profile = body.get("name"), body.get("profile")
    if not isinstance(name, str) or (profile is not None and not isinstance(profile, str)):
        raise InvalidRequest("name (string) is required; profile must be a string")
    rt, session = runtime(), db_session()
    user = create_user(session, rt.audit_mac, name=name, roles=roles, profile=profile,
                       actor=current_user().name, known_profiles=rt.profiles)
    session.commit()
    return user_json(user), 201


@bp.post("/users/<name>/tokens")
@require_roles(SECURITY_ADMIN)
def add_token(name: str) -> tuple[dict[str, Any], int]:
    session = db_session()
    user = find_user(session, name)
    token = create_token(session, runtime().audit_mac, user=user, actor=current_user().name)
    session.commit()
    # Shown once: only its hash is stored.
    return {"user": user.name, "token": token}, 201
