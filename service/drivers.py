"""The client library a configured URL needs, checked before anything starts.

The default deployment needs none (SQLite, the filesystem broker). PostgreSQL and Redis
come with the ``postgres`` and ``redis`` extras; without them a start used to end in a
worker dying deep inside kombu or SQLAlchemy with no word about what to install.
"""

from __future__ import annotations

from importlib.util import find_spec

from core.errors import ConfigurationError
from core.settings import Settings

REDIS_SCHEMES = ("redis", "rediss", "sentinel")


def require_drivers(settings: Settings) -> None:
    """ConfigurationError naming the extra to install when a URL's client is missing."""
    scheme = settings.broker_url.partition(":")[0].lower()
    if scheme in REDIS_SCHEMES and find_spec("redis") is None:
        raise ConfigurationError(
            "SEKISHO_BROKER_URL is a Redis URL but the Redis client is not installed: "
            "pip install 'sekisho[redis]'")
    if (settings.database_url.lower().startswith("postgresql")
            and find_spec("psycopg") is None):
        raise ConfigurationError(
            "SEKISHO_DATABASE_URL is a PostgreSQL URL but its driver is not installed: "
            "pip install 'sekisho[postgres]'")
