"""API tokens and role checks.

Tokens are 256-bit random secrets shown once; only their SHA-256 is stored (a fast hash is
right for a high-entropy secret; no salt needed). Every endpoint declares its roles.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Forbidden, Unauthenticated
from service.db import utcnow
from service.models import ApiToken, User

TOKEN_PREFIX = "skt_"  # noqa: S105 - a prefix that makes leaked tokens greppable, not a secret
LAST_USED_RESOLUTION = timedelta(minutes=1)
F = TypeVar("F", bound=Callable[..., Any])


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User) -> str:
    """Create a token for ``user``; the caller shows it once and never stores it."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), prefix=token[:10]))
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.execute(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.user.disabled:
        return None
    now = utcnow()
    # Kept for account reviews (unused IDs are removed promptly); written at most once a
    # minute so that reads do not each take SQLite's write lock.
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.commit()
    return row.user


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_user() -> User:
    user: User | None = g.get("user")
    if user is None:
        raise Unauthenticated()
    return user


def authenticate(session: Session) -> User:
    token = _bearer_token()
    user = user_for_token(session, token) if token else None
    if user is None:
        raise Unauthenticated()
    g.user = user
    return user


def require_roles(*roles: str) -> Callable[[F], F]:
    """Decorator: 401 without a valid token, 403 unless the user holds one of ``roles``."""
    allowed = frozenset(roles)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from service.runtime import db_session  # late: avoids an import cycle

            user = authenticate(db_session())
            if allowed and not (user.role_names & allowed):
                raise Forbidden(f"this action needs one of the roles: {', '.join(sorted(allowed))}")
            return view(*args, **kwargs)

        wrapper.required_roles = allowed  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def has_any_role(user: User, roles: Iterable[str]) -> bool:
    return bool(user.role_names & set(roles))
