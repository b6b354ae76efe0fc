"""Private key files: a 0700 directory of 0600 files, created atomically, read defensively.

Design invariant: "the KEK is never in the database. Default KEK: a key file in its own 0700
directory". Saitama 第8 1(5)イ asks that key copies be protected like the originals, so the
same checks apply to every file here (KEK versions, the audit MAC key).

Permission policy (documented decision):
- a missing directory is created 0700;
- an existing directory we own that is EMPTY but group/world accessible is tightened to 0700
  (nothing in it can have leaked yet, and operators often pre-create it with a 022 umask);
- an existing directory that already holds files with loose permissions, or that is not owned
  by the service user, is refused with ConfigurationError: its keys may already have been
  exposed, and silently fixing that would hide it. An operator must inspect, then chmod 700.
- a key file that is not a regular file owned by us with mode 0600 (no group/other bits) is
  refused with ConfigurationError, like ssh refuses an unprotected private key.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from core.errors import ConfigurationError, KeyUnavailable
from keys.primitives.randomness import random_bytes, random_hex

DIR_MODE = 0o700
FILE_MODE = 0o600
_LOOSE_BITS = 0o077


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` 0700, or accept/tighten an existing one (see the module policy)."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=DIR_MODE, parents=True)
        os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask
    info = _stat_dir(path)
    if info.st_mode & _LOOSE_BITS:
        if any(path.iterdir()):
            raise ConfigurationError(
                f"key directory {path} is accessible to group/others and already holds files; "
                "check whether the keys were exposed, then chmod 700 it"
            )
        os.chmod(path, DIR_MODE)


def check_private_dir(path: Path) -> None:
    """Refuse to use keys from a directory that is missing or has become loose."""
    try:
        info = _stat_dir(path)
    except FileNotFoundError:
        raise KeyUnavailable(f"key directory {path} does not exist") from None
    if info.st_mode & _LOOSE_BITS:
        raise ConfigurationError(f"key directory {path} is accessible to group/others")


def _stat_dir(path: Path) -> os.stat_result:
    info = path.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigurationError(f"key directory {path} is not a directory")
    if info.st_uid != os.geteuid():
        raise ConfigurationError(f"key directory {path} is not owned by the service user")
    return info


def create_key_file(path: Path, size: int) -> bool:
    """Create ``path`` holding ``size`` random bytes, mode 0600, unless it exists already.

    Written to a temporary name and hard-linked into place: the link is atomic and never
    overwrites, so two processes initialising at once end with one complete key, never a torn
    or replaced one. Returns True if this call created the key.
    """
    tmp = path.with_name(f".{path.name}.{random_hex(8)}.tmp")
    try:
        _write_new_file(tmp, random_bytes(size))
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        _fsync_dir(path.parent)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _write_new_file(path: Path, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # the umask may have removed bits; never added any
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_key_file(path: Path, size: int) -> bytes:
    """Read exactly ``size`` bytes from a protected key file.

    Missing → KeyUnavailable; unprotected or not a plain file → ConfigurationError; wrong
    length → KeyUnavailable. Messages name the file, never its contents.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise KeyUnavailable(f"key file {path.name} is missing") from None
    except OSError:
        raise ConfigurationError(f"key file {path.name} cannot be opened safely") from None
    try:
        _check_key_file(fd, path)
        data = os.read(fd, size + 1)
    finally:
        os.close(fd)
    if len(data) != size:
        raise KeyUnavailable(f"key file {path.name} has the wrong length")
    return data


def _check_key_file(fd: int, path: Path) -> None:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise ConfigurationError(f"key file {path.name} is not a regular file")
    if info.st_uid != os.geteuid():
        raise ConfigurationError(f"key file {path.name} is not owned by the service user")
    if info.st_mode & _LOOSE_BITS:
        raise ConfigurationError(f"key file {path.name} is accessible to group/others")


def destroy_key_file(path: Path) -> bool:
    """Overwrite a key file in place, sync it, then unlink it. Returns False if it was absent.

    The overwrite matters on plain filesystems (ext4 in place): the old key bytes do not linger
    in freed blocks for an undelete. On copy-on-write filesystems, SSD remapping or snapshots
    it is best effort, which is why the KEK epoch scheme does not rest on it alone: a PKCS#11
    token destroys its object itself, and backups of the KEK directory must be rotated too.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        _check_key_file(fd, path)
        size = os.fstat(fd).st_size
        for pattern in ((random_bytes(size), bytes(size)) if size else ()):
            os.pwrite(fd, pattern, 0)
            os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink()
    _fsync_dir(path.parent)
    return True


def read_secret_file(path: Path, max_bytes: int) -> str:
    """A short secret (a PKCS#11 PIN) from a protected file, without its trailing newline.

    Same protection rules as key files: a PIN readable by others is refused, not used.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise KeyUnavailable(f"secret file {path.name} is missing") from None
    except OSError:
        raise ConfigurationError(f"secret file {path.name} cannot be opened safely") from None
    try:
        _check_key_file(fd, path)
        data = os.read(fd, max_bytes + 1)
    finally:
        os.close(fd)
    try:
        text = data.decode("utf-8").rstrip("\r\n") if len(data) <= max_bytes else ""
    except UnicodeDecodeError:
        text = ""
    if not text:
        raise ConfigurationError(f"secret file {path.name} is empty or too long")
    return text
