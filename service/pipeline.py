"""The processing stages: detect -> classify -> sanitise -> label.

A stage is a pure step: it reads a snapshot of the document and its decrypted versions and
returns a :class:`StageOutput`; ``service.jobs`` applies the output in one short transaction
(SQLite allows one writer at a time, so no parsing happens while the write lock is held).
Each stage replaces its own section of the findings and report, so re-running a stage after a
crash gives the same result (idempotent). Plaintext lives only in memory (design: no
plaintext at rest).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from classifiers import classify_text
from core.labels import Label
from core.profiles import Profile
from core.states import STAGE_CLASSIFY, STAGE_DETECT, STAGE_LABEL, STAGE_SANITISE
from handlers import detect_content_type, handler_for, write_label
from service.runtime import Runtime

ORIGINAL, SANITISED, LABELLED = "original", "sanitised", "labelled"
# A document with 200k My Numbers would otherwise store tens of MB of findings; the counts
# per entity type in the report stay exact.
MAX_STORED_FINDINGS = 1000


@dataclass(frozen=True)
class DocSnapshot:
    id: str
    filename: str | None
    detected_type: str | None
    profile: str
    report: dict[str, Any]


@dataclass
class StageInput:
    rt: Runtime
    doc: DocSnapshot
    load: Callable[[str], bytes]
    _cache: dict[str, bytes] = field(default_factory=dict)

    def plaintext(self, kind: str) -> bytes:
        if kind not in self._cache:
            self._cache[kind] = self.load(kind)
        return self._cache[kind]


@dataclass
class StageOutput:
    findings: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    doc_updates: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, bytes] = field(default_factory=dict)


def _open_handler(inp: StageInput) -> Any:
    mime = inp.doc.detected_type or "application/octet-stream"
    return handler_for(mime).open(inp.plaintext(ORIGINAL))


def detect(inp: StageInput) -> StageOutput:
    detection = detect_content_type(inp.plaintext(ORIGINAL), inp.doc.filename)
    return StageOutput(
        findings=[f.to_dict() for f in detection.findings],
        report=detection.to_dict(),
        doc_updates={"detected_type": detection.mime},
    )


def classify(inp: StageInput) -> StageOutput:
    text = _open_handler(inp).extract_text()
    result = classify_text(text, inp.rt.profile(inp.doc.profile))
    report = result.to_dict()
    report.pop("findings", None)
    report["text_characters"] = len(text)
    report["findings_total"] = len(result.findings)
    report["findings_stored"] = min(len(result.findings), MAX_STORED_FINDINGS)
    findings = [f.to_dict() for f in result.findings[:MAX_STORED_FINDINGS]]
    return StageOutput(findings=findings, report=report)


def sanitise(inp: StageInput) -> StageOutput:
    handler = _open_handler(inp)
    before = handler.inspect()
    # clean() verifies its output on a fresh parse and raises instead of returning bytes
    # that fail (fail closed), so what comes back here is verified.
    cleaned = handler.clean()
    return StageOutput(
        report={
            "before": before.to_dict(),
            "removed": dict(handler.removed),
            "sha256": hashlib.sha256(cleaned).hexdigest(),
            "size": len(cleaned),
            "verified": True,
        },
        versions={SANITISED: cleaned},
    )


def label(inp: StageInput) -> StageOutput:
    profile = inp.rt.profile(inp.doc.profile)
    final = profile.default_label
    floor = inp.doc.report.get(STAGE_CLASSIFY, {}).get("floor")
    if floor:
        final = final.combine(Label.from_dict(floor))
    sanitised = inp.plaintext(SANITISED)
    labelled = write_label(sanitised, inp.doc.detected_type or "", final.to_dict())
    within = profile.within_ceiling(final)
    return StageOutput(
        findings=[] if within else [_above_ceiling(profile, final)],
        report={
            "label": final.to_dict(),
            "display": profile.display(final),
            "within_ceiling": within,
            "written_into_file": labelled != sanitised,
            "sha256": hashlib.sha256(labelled).hexdigest(),
        },
        doc_updates={"label": final.to_dict()},
        versions={LABELLED: labelled},
    )


def _above_ceiling(profile: Profile, label: Label) -> dict[str, Any]:
    """CLS-09 (Saitama 第5 1(2)イ(ア), 第8 1(2)イ(オ)): nothing above the deployment's ceiling
    may be handled here; the finding stops later steps (exports) from going ahead."""
    return {
        "code": "above_ceiling",
        "reason": "CLS-09",
        "message": f"the label exceeds this deployment's ceiling "
                   f"({profile.display(profile.ceiling)['confidentiality']} / "
                   f"{profile.ceiling.to_dict()['confidentiality']})",
    }


STAGE_FUNCTIONS: dict[str, Callable[[StageInput], StageOutput]] = {
    STAGE_DETECT: detect,
    STAGE_CLASSIFY: classify,
    STAGE_SANITISE: sanitise,
    STAGE_LABEL: label,
}
