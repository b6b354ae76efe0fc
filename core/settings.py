"""Frozen settings built once from ``SEKISHO_*`` environment variables.

Domain code receives a :class:`Settings`; nothing reads Flask config or the environment
after start-up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigurationError

DEFAULT_PROFILE = "saitama-police-2023"
DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024
DEFAULT_BIND = "127.0.0.1:8080"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    broker_url: str
    kek_dir: Path
    profile: str
    profile_dir: Path | None
    max_upload_bytes: int
    bind: str
    web_workers: int
    job_lease_seconds: int
    # None: named-entity recognition when the `ner` extra is installed; True/False: force.
    ner: bool | None
    # Fault injection for the resume-after-kill test and the benchmark; 0 in production.
    debug_stage_delay_seconds: float
    # clamd address (unix:/path, /path, tcp:host:port); None: files are recorded as not
    # scanned (design: malware scan "when configured").
    clamd: str | None = None
    # The isolated cleaning child (issue 4, item 8): wall time, CPU time, address space.
    sanitise_timeout_seconds: float = 180.0
    sanitise_cpu_seconds: int = 120
    sanitise_memory_mb: int = 3072
    # Issue 7: mail domains inside the organisation besides the profile's
    # (SEKISHO_INTERNAL_DOMAINS, comma-separated), and the recipients' certificates for CMS
    # (<address>.pem; SEKISHO_RECIPIENT_CERT_DIR, default data_dir/recipient-certs).
    internal_domains: tuple[str, ...] = ()
    recipient_cert_dir: Path | None = None

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def broker_dir(self) -> Path:
        return self.data_dir / "queue"

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uses_filesystem_broker(self) -> bool:
        return self.broker_url.startswith("filesystem://")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be >= {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from None


def _tristate(env: Mapping[str, str], name: str) -> bool | None:
    raw = (env.get(name) or "auto").strip().lower()
    if raw in ("auto", ""):
        return None
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be auto, on or off, got {raw!r}")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("SEKISHO_DATA_DIR") or "./var").resolve()
    profile_dir = env.get("SEKISHO_PROFILE_DIR")
    return Settings(
        data_dir=data_dir,
        database_url=env.get("SEKISHO_DATABASE_URL") or f"sqlite:///{data_dir / 'sekisho.db'}",
        broker_url=env.get("SEKISHO_BROKER_URL") or "filesystem://",
        kek_dir=Path(env.get("SEKISHO_KEK_DIR") or data_dir / "kek").resolve(),
        profile=env.get("SEKISHO_PROFILE") or DEFAULT_PROFILE,
        profile_dir=Path(profile_dir).resolve() if profile_dir else None,
        max_upload_bytes=_int(env, "SEKISHO_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES, 1),
        bind=env.get("SEKISHO_BIND") or DEFAULT_BIND,
        web_workers=_int(env, "SEKISHO_WEB_WORKERS", 2, 1),
        job_lease_seconds=_int(env, "SEKISHO_JOB_LEASE_SECONDS", 300, 1),
        ner=_tristate(env, "SEKISHO_NER"),
        debug_stage_delay_seconds=_float(env, "SEKISHO_DEBUG_STAGE_DELAY_SECONDS", 0.0),
        clamd=env.get("SEKISHO_CLAMD") or None,
        sanitise_timeout_seconds=_float(env, "SEKISHO_SANITISE_TIMEOUT_SECONDS", 180.0),
        sanitise_cpu_seconds=_int(env, "SEKISHO_SANITISE_CPU_SECONDS", 120, 1),
        sanitise_memory_mb=_int(env, "SEKISHO_SANITISE_MEMORY_MB", 3072, 256),
        internal_domains=_domains(env.get("SEKISHO_INTERNAL_DOMAINS")),
        recipient_cert_dir=Path(env.get("SEKISHO_RECIPIENT_CERT_DIR")
                                or data_dir / "recipient-certs").resolve(),
    )


def _domains(raw: str | None) -> tuple[str, ...]:
    return tuple(d.strip().lower().strip(".") for d in (raw or "").split(",") if d.strip())
