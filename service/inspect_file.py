"""`sekisho classify FILE`: the pipeline's reading of one local file, without a data directory.

Findings carry offsets and a keyed hash, never the personal data itself (issue 3, CLI).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from core.errors import InvalidRequest
from core.profiles import get_profile
from core.settings import load_settings
from handlers import detect_content_type, handler_for, write_label
from handlers.base import LabelStamp
from handlers.executables import refuse_executable
from handlers.labelcodec import decode_label, encode_label
from handlers.malware import scan_bytes
from handlers.sanitise import Mode, sanitise_file
from service.classification import system_label
from service.pipeline import isolation_limits, read_and_classify, sanitise_settings
from service.runtime import validated_profiles

MAX_CLI_FILE_BYTES = 512 * 1024 * 1024
SIDECAR_SUFFIX = ".sekisho-label.json"


def _finding_json(finding: dict[str, Any]) -> dict[str, Any]:
    out = {"entity": finding["entity_type"], "start": finding["start"], "end": finding["end"],
           "score": finding["score"], "text_hash": finding.get("text_hash"),
           "source": finding.get("source")}
    if "marking" in finding:
        out["marking"] = finding["marking"]
    return out


def classify_file(path: str, *, profile_name: str | None = None) -> dict[str, Any]:
    settings = load_settings()
    profile = get_profile(validated_profiles(settings), profile_name or settings.profile)
    file = Path(path)
    if not file.is_file():
        raise InvalidRequest(f"no such file: {path}", code="no_such_file")
    if file.stat().st_size > MAX_CLI_FILE_BYTES:
        raise InvalidRequest(f"{path} is larger than {MAX_CLI_FILE_BYTES} bytes",
                             code="file_too_large")
    data = file.read_bytes()
    detection = detect_content_type(data, file.name)
    reading = read_and_classify(data, detection.mime, profile, ner=settings.ner)
    labels = system_label(profile, reading.floor)
    entity_findings = [f for f in reading.findings if "entity_type" in f]
    return {
        "profile": profile.id,
        "content_type": detection.mime,
        "labels": {k: v for k, v in labels.to_dict().items() if k != "profile"},
        "display": profile.display(labels),
        "floor": reading.floor.to_dict(),
        "findings": [_finding_json(f) for f in entity_findings],
        "floor_reasons": reading.classification.to_dict()["reasons"],
        "detection": [f.to_dict() for f in detection.findings],
        "extraction": reading.extraction.to_dict(),
    }


def _read_local(path: str) -> tuple[Path, bytes]:
    file = Path(path)
    if not file.is_file():
        raise InvalidRequest(f"no such file: {path}", code="no_such_file")
    if file.stat().st_size > MAX_CLI_FILE_BYTES:
        raise InvalidRequest(f"{path} is larger than {MAX_CLI_FILE_BYTES} bytes",
                             code="file_too_large")
    return file, file.read_bytes()


def sidecar_path(path: Path) -> Path:
    """Where a label lives for formats without a property store (images)."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def inspect_file(path: str) -> dict[str, Any]:
    """`sekisho inspect FILE`: type, what the file holds (names and counts, never values),
    and the label sekisho wrote into it (or beside it, for images)."""
    file, data = _read_local(path)
    detection = detect_content_type(data, file.name)
    handler_class = handler_for(detection.mime)
    with handler_class.open(data) as handler:
        inspection = handler.inspect()
    label = handler_class.read_label(data)
    source = "file" if label is not None else None
    if label is None and sidecar_path(file).is_file():
        label = decode_label(sidecar_path(file).read_text(encoding="utf-8"))
        source = "sidecar" if label is not None else None
    return {
        "file": str(file),
        "content_type": detection.mime,
        "detection": [f.to_dict() for f in detection.findings],
        "inspection": inspection.to_dict(),
        "label": label,
        "label_source": source,
    }


def sanitise_to(path: str, out: str, *, mode: str | None = None,
                profile_name: str | None = None, direction: str = "outbound",
                label: bool = True) -> dict[str, Any]:
    """`sekisho sanitise FILE -o OUT`: the pipeline's classify -> sanitise -> label on one
    local file. OUT appears only when everything succeeded (written under a temporary name
    in the same directory, then renamed); on failure nothing is left behind."""
    settings = load_settings()
    profile = get_profile(validated_profiles(settings), profile_name or settings.profile)
    file, data = _read_local(path)
    detection = detect_content_type(data, file.name)
    refuse_executable(detection.mime, file.name)
    reading = read_and_classify(data, detection.mime, profile, ner=settings.ner)
    final = system_label(profile, reading.floor)
    policy = profile.sanitise_policy(direction, final)
    chosen = sanitise_settings(policy)
    if mode is not None:
        chosen = replace(chosen, mode=cast(Mode, mode))
    scan = scan_bytes(data, settings.clamd)
    result = sanitise_file(data, detection.mime, chosen, filename=file.name,
                           limits=isolation_limits(settings))
    output, written = result.data, None
    if label:
        stamp = LabelStamp(final.to_dict(), visible=profile.stamp_text(final),
                           file_prefix=profile.file_prefix(final))
        output = write_label(result.data, result.mime, stamp)
        written = "file" if output != result.data else "sidecar"
    target = Path(out)
    _write_atomically(target, output)
    if written == "sidecar":
        _write_atomically(sidecar_path(target), encode_label(final.to_dict()).encode("utf-8"))
    return {
        **result.report,
        "output": str(target),
        "output_sha256": hashlib.sha256(output).hexdigest(),
        "policy": {**policy.to_dict(), "mode": chosen.mode},
        "malware_scan": scan.to_dict(),
        "label": final.to_dict() if label else None,
        "label_written": written,
        "display": profile.display(final),
    }


def _write_atomically(target: Path, data: bytes) -> None:
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with open(partial, "xb") as f:
            f.write(data)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
