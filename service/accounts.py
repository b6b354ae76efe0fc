"""Accounts: users, roles and tokens — shared by the CLI and the API, always audited."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidRequest, NotFound
from core.roles import ROLES
from service.audit import Mac, append_event
from service.auth import issue_token
from service.models import User, UserRole

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


def find_user(session: Session, name: str) -> User:
    user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {name!r}")
    return user


def _check_roles(roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    if not roles:
        raise InvalidRequest("a user needs at least one role", code="invalid_role")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise InvalidRequest(f"unknown role(s) {', '.join(unknown)}; "
                             f"known: {', '.join(sorted(ROLES))}", code="invalid_role")
    return roles


def create_user(
    session: Session, mac: Mac, *, name: str, roles: Iterable[str], profile: str | None,
    actor: str, known_profiles: Iterable[str],
) -> User:
    if not NAME_PATTERN.match(name):
        raise InvalidRequest("a user name is 1-100 of A-Z a-z 0-9 . _ @ -", code="invalid_name")
    role_list = _check_roles(roles)
    if profile is not None and profile not in set(known_profiles):
        raise InvalidRequest(f"unknown profile {profile!r}", code="unknown_profile")
    if session.execute(select(User.id).where(User.name == name)).first() is not None:
        raise Conflict(f"user {name!r} already exists", code="user_exists")
    user = User(name=name, profile=profile, roles=[UserRole(role=r) for r in role_list])
    session.add(user)
    session.flush()
    append_event(session, mac, actor=actor, action="user.created", object_type="user",
                 object_id=str(user.id),
                 details={"name": name, "roles": role_list, "profile": profile})
    return user


def create_token(session: Session, mac: Mac, *, user: User, actor: str) -> str:
    token = issue_token(session, user)
    session.flush()
    append_event(session, mac, actor=actor, action="token.created", object_type="user",
                 object_id=str(user.id), details={"name": user.name, "prefix": token[:10]})
    return token


def count_users(session: Session) -> int:
    return len(session.execute(select(User.id)).all())
