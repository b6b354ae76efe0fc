"""Versions of the tools that touched a file, for the sanitisation report (issue 4, item 6):
an auditor can tell which parser releases a released file went through."""

from __future__ import annotations

import importlib
import importlib.metadata
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from functools import lru_cache

_PACKAGES = ("pikepdf", "pillow", "pypdf", "python-magic")


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    pikepdf = importlib.import_module("pikepdf")
    versions["qpdf"] = str(getattr(pikepdf, "__libqpdf_version__", "unknown"))
    return versions


@lru_cache(maxsize=8)
def command_version(command: str, flag: str = "--version") -> str | None:
    """First line of ``command --version``, or None when the tool is not installed."""
    path = shutil.which(command)
    if path is None:
        return None
    try:
        out = subprocess.run([path, flag], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else None


def tool_versions(conversions: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """Libraries always; LibreOffice, pdfium and tesseract when a conversion used them."""
    versions = dict(library_versions())
    used = " ".join(step.get("by", "") for step in conversions)
    if "libreoffice" in used:
        versions["libreoffice"] = command_version("soffice") or "unknown"
    if "pdfium" in used:
        versions["pypdfium2"] = _package_version("pypdfium2")
    if "tesseract" in used:
        versions["tesseract"] = command_version("tesseract") or "unknown"
    return versions


def _package_version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
