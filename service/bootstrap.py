"""First start: data directory, KEK, schema, and the first admin account (token shown once)."""

from __future__ import annotations

from core.roles import SECURITY_ADMIN
from core.settings import Settings
from service.accounts import count_users, create_token, create_user
from service.drivers import require_drivers
from service.runtime import build_runtime, prepare_data_dir, validated_profiles

BOOTSTRAP_ADMIN = "admin"


def initialise(settings: Settings, *, quiet: bool = False) -> str | None:
    """Idempotent. Returns the admin token when this call created the admin, else None."""
    validated_profiles(settings)  # an invalid profile stops us before anything is created
    require_drivers(settings)  # so does a URL whose client library is missing
    prepare_data_dir(settings)
    rt = build_runtime(settings)
    with rt.sessions.begin() as session:
        if count_users(session) > 0:
            return None
        admin = create_user(session, rt.audit_mac, name=BOOTSTRAP_ADMIN, roles=[SECURITY_ADMIN],
                            profile=None, actor="bootstrap", known_profiles=rt.profiles)
        token = create_token(session, rt.audit_mac, user=admin, actor="bootstrap")
    if not quiet:
        print(
            f"\nsekisho: data directory {settings.data_dir} initialised.\n"
            f"sekisho: first admin account '{BOOTSTRAP_ADMIN}' (role {SECURITY_ADMIN}) created.\n"
            "sekisho: its API token is shown ONCE — store it now:\n\n"
            f"    {token}\n",
            flush=True,
        )
    return token
