"""AuditMac: HMAC-SHA-256 keyed from audit-mac.key in the KEK directory."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

import pytest

from core.errors import ConfigurationError, KeyUnavailable
from keys.audit import AUDIT_MAC_FILE, AuditMac
from keys.kek_file import FileKekProvider


def test_missing_key_is_unavailable_not_silently_created(kek_dir: Path) -> None:
    kek_dir.mkdir(mode=0o700)
    with pytest.raises(KeyUnavailable):
        AuditMac.from_kek_dir(kek_dir)
    assert not (kek_dir / AUDIT_MAC_FILE).exists()


def test_own_initialise_creates_a_private_key(kek_dir: Path) -> None:
    AuditMac.initialise(kek_dir)
    assert stat.S_IMODE(kek_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((kek_dir / AUDIT_MAC_FILE).stat().st_mode) == 0o600
    AuditMac.from_kek_dir(kek_dir)


def test_sign_is_hex_hmac_sha256_of_the_key_file(kek: FileKekProvider, kek_dir: Path) -> None:
    mac = AuditMac.from_kek_dir(kek_dir)
    key = (kek_dir / AUDIT_MAC_FILE).read_bytes()
    expected = hmac.new(key, b"event-1", hashlib.sha256).hexdigest()
    assert mac.sign(b"event-1") == expected
    assert AuditMac.from_kek_dir(kek_dir).sign(b"event-1") == expected  # stable across loads


def test_verify(kek: FileKekProvider, kek_dir: Path) -> None:
    mac = AuditMac.from_kek_dir(kek_dir)
    tag = mac.sign(b"event-1")
    assert mac.verify(b"event-1", tag)
    assert not mac.verify(b"event-2", tag)
    assert not mac.verify(b"event-1", tag[:-1] + ("0" if tag[-1] != "0" else "1"))
    for malformed in ("", "zz", tag[:10], tag + "00", "鍵" * 32):
        assert not mac.verify(b"event-1", malformed)


def test_a_different_directory_has_a_different_key(kek: FileKekProvider, tmp_path: Path) -> None:
    other_dir = tmp_path / "other"
    FileKekProvider(other_dir).initialise()
    tag = AuditMac.from_kek_dir(kek.kek_dir).sign(b"event")
    assert not AuditMac.from_kek_dir(other_dir).verify(b"event", tag)


def test_loose_key_file_is_refused(kek: FileKekProvider, kek_dir: Path) -> None:
    os.chmod(kek_dir / AUDIT_MAC_FILE, 0o640)
    with pytest.raises(ConfigurationError):
        AuditMac.from_kek_dir(kek_dir)
