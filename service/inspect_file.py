"""`sekisho classify FILE`: the pipeline's reading of one local file, without a data directory.

Findings carry offsets and a keyed hash, never the personal data itself (issue 3, CLI).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.errors import InvalidRequest
from core.profiles import get_profile
from core.settings import load_settings
from handlers import detect_content_type
from service.classification import system_label
from service.pipeline import read_and_classify
from service.runtime import validated_profiles

MAX_CLI_FILE_BYTES = 512 * 1024 * 1024


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
