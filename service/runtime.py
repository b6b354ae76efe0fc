"""Everything one process needs, built once from the settings (API, worker and CLI alike)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from flask import current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.errors import ConfigurationError
from core.profiles import Profile, get_profile, load_profiles
from core.settings import Settings, load_settings
from keys import AuditMac, FileKekProvider, KekProvider, WithdrawalRegistry, active_allowlist
from keys.sign import load_or_create_signer
from service.blobstore import BlobStore
from service.db import make_engine, make_session_factory
from service.migrate import upgrade_to_head
from service.withdrawals import load_withdrawn_ids

EXTENSION_KEY = "sekisho"


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    kek: KekProvider
    audit_mac: AuditMac
    profiles: dict[str, Profile]
    blobs: BlobStore

    def profile(self, name: str | None) -> Profile:
        return get_profile(self.profiles, name or self.settings.profile)

    def refresh_withdrawals(self) -> None:
        """Put the withdrawals stored by ``sekisho crypto withdraw`` in force here (危殆化,
        Saitama 第6 1(5)ア(オ)): a long-running API or worker must refuse an algorithm withdrawn
        after it started. One small SELECT; the list is replaced only when the set changed."""
        registry = WithdrawalRegistry(load_withdrawn_ids(self.engine))
        if registry.apply().withdrawn() != active_allowlist().withdrawn():
            registry.install()


def prepare_data_dir(settings: Settings) -> None:
    """Create the private data directory, the KEK and the schema (idempotent)."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(settings.data_dir, 0o700)
    settings.blob_dir.mkdir(mode=0o700, exist_ok=True)
    if settings.uses_filesystem_broker:
        for sub in ("messages", "processed", "control"):
            (settings.broker_dir / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
    kek = kek_provider(settings)
    kek.initialise()
    AuditMac.initialise(settings.kek_dir)
    # The service's signing key (issue 5: signatures for 完全性2 exports and erasure
    # records), its private half sealed under a DEK the KEK wraps.
    load_or_create_signer(settings.kek_dir, kek)
    upgrade_to_head(make_engine(settings.database_url))


def kek_provider(settings: Settings) -> KekProvider:
    """PKCS#11 when SEKISHO_PKCS11_MODULE is set (production: an HSM), else the key file in
    its own 0700 directory (design: default KEK)."""
    if not os.environ.get("SEKISHO_PKCS11_MODULE"):
        return FileKekProvider(settings.kek_dir)
    # Imported only here: it needs the hsm extra (python-pkcs11).
    from keys.kek_pkcs11 import Pkcs11Config, Pkcs11KekProvider

    config = Pkcs11Config.from_env(os.environ)
    if config is None:
        raise ConfigurationError("SEKISHO_PKCS11_MODULE is set but the token settings are not")
    return Pkcs11KekProvider(config)


def validated_profiles(settings: Settings) -> dict[str, Profile]:
    """Load and validate every profile: an invalid one stops the process with file and field."""
    profiles = load_profiles(settings.profile_dir)
    if settings.profile not in profiles:
        raise ConfigurationError(
            f"SEKISHO_PROFILE={settings.profile!r} is not a known profile "
            f"(known: {', '.join(sorted(profiles))})"
        )
    return profiles


def build_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or load_settings()
    profiles = validated_profiles(settings)
    engine = make_engine(settings.database_url)
    kek = kek_provider(settings)
    rt = Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        kek=kek,
        audit_mac=AuditMac.from_kek_dir(settings.kek_dir),
        profiles=profiles,
        blobs=BlobStore(settings.blob_dir, kek),
    )
    # 危殆化: withdrawn algorithms are refused from this process's first piece of new work,
    # and every new stored object re-reads the set (a withdrawal made later by the CLI).
    WithdrawalRegistry(load_withdrawn_ids(engine)).install()
    rt.blobs.before_new_object = rt.refresh_withdrawals
    return rt


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions[EXTENSION_KEY]
    return rt


def db_session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = runtime().sessions()
    session: Session = g.db
    return session


def close_db_session(_exc: Any = None) -> None:
    session: Session | None = g.pop("db", None)
    if session is not None:
        session.close()
