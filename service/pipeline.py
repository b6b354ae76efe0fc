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
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from classifiers import Classification, classify_text
from core.labels import Label
from core.profiles import Profile
from core.profiles.profile import SanitisePolicy
from core.settings import Settings
from core.states import STAGE_CLASSIFY, STAGE_DETECT, STAGE_LABEL, STAGE_SANITISE
from handlers import detect_content_type, write_label
from handlers.base import CleanOptions, LabelStamp, NoticePolicy
from handlers.executables import refuse_executable
from handlers.extract import Extraction, extract
from handlers.isolation import Limits
from handlers.malware import scan_bytes
from handlers.sanitise import MODES, Mode, SanitiseSettings, sanitise_file
from service.classification import SOURCE_SYSTEM, effective_label
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
    label: dict[str, Any] | None = None
    label_source: str | None = None
    direction: str = "outbound"
    sanitised_type: str | None = None
    # The label of the document this one was derived from (a copy or an edit), if any.
    source_label: dict[str, Any] | None = None


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
    # Content type per stored version when it differs from the detected type (conversions).
    version_types: dict[str, str] = field(default_factory=dict)


def detect(inp: StageInput) -> StageOutput:
    detection = detect_content_type(inp.plaintext(ORIGINAL), inp.doc.filename)
    # Programs and scripts stop here with their own code (issue 4), by type or by name.
    refuse_executable(detection.mime, inp.doc.filename)
    return StageOutput(
        findings=[f.to_dict() for f in detection.findings],
        report=detection.to_dict(),
        doc_updates={"detected_type": detection.mime},
    )


@dataclass(frozen=True)
class ContentReading:
    """What could be read of a file, what it contains, and the floor that follows."""

    extraction: Extraction
    classification: Classification
    floor: Label
    findings: list[dict[str, Any]]


def inherited_label(profile: Profile, source: dict[str, Any] | None) -> Label | None:
    """What a derived document inherits from its source: the confidentiality and the
    handling restrictions (Saitama 第3 2(5), LBL-05 names only those; Chiba 6.2(1)イ)."""
    if source is None:
        return None
    label = Label.from_dict(source)
    lowest = Label.lowest(profile.id)
    return profile.with_implied(Label(label.confidentiality, lowest.integrity,
                                      lowest.availability, label.restrictions, profile.id))


def read_and_classify(
    data: bytes, mime: str, profile: Profile, *, ner: bool | None = None,
    inherited: Label | None = None,
) -> ContentReading:
    """Extract text and metadata, classify both, and never let what could not be read pass
    as harmless: an incomplete reading raises the floor to the profile's unreadable floor
    (issue: never silently 機密性1)."""
    extraction = extract(data, mime)
    result = classify_text(extraction.text, profile, metadata=extraction.metadata,
                           ner=ner)
    floor = result.floor.label
    if inherited is not None:
        floor = floor.combine(inherited)
    findings = [f.to_dict() for f in result.findings[:MAX_STORED_FINDINGS]]
    if extraction.incomplete:
        floor = floor.combine(profile.unreadable_floor)
        findings += [{"code": "extraction_incomplete", "reason": gap.reason, "part": gap.part,
                      "message": f"could not read {gap.part or 'part of the file'}: "
                                 f"{gap.reason}"} for gap in extraction.incomplete]
    return ContentReading(extraction, result, floor, findings)


def classify(inp: StageInput) -> StageOutput:
    profile = inp.rt.profile(inp.doc.profile)
    reading = read_and_classify(inp.plaintext(ORIGINAL), inp.doc.detected_type or "", profile,
                                ner=inp.rt.settings.ner,
                                inherited=inherited_label(profile, inp.doc.source_label))
    report = reading.classification.to_dict()
    report.pop("findings", None)
    # The reported floor is the one the label stage uses: with an incomplete reading it
    # includes the profile's unreadable floor, which the classifier alone does not know.
    report["floor"] = reading.floor.to_dict()
    report["floor_display"] = profile.display(reading.floor)
    report["extraction"] = reading.extraction.to_dict()
    report["text_characters"] = len(reading.extraction.text)
    report["findings_total"] = len(reading.classification.findings)
    report["findings_stored"] = min(len(reading.classification.findings), MAX_STORED_FINDINGS)
    return StageOutput(findings=reading.findings, report=report,
                       doc_updates={"floor": reading.floor.to_dict()})


def sanitise(inp: StageInput) -> StageOutput:
    """Scan, then clean in an isolated child in the mode the profile sets for the document's
    direction and current label (issue 4). The output has been verified on a fresh parse
    before it comes back (fail closed)."""
    rt, doc = inp.rt, inp.doc
    profile = rt.profile(doc.profile)
    policy = profile.sanitise_policy(doc.direction, _current_label(inp, profile))
    original = inp.plaintext(ORIGINAL)
    # MalwareDetected propagates: service.jobs quarantines the document (issue 4, item 7).
    scan = scan_bytes(original, rt.settings.clamd)
    result = sanitise_file(original, doc.detected_type or "application/octet-stream",
                           sanitise_settings(policy), filename=doc.filename,
                           limits=isolation_limits(rt.settings))
    return StageOutput(
        report={**result.report, "policy": policy.to_dict(), "malware_scan": scan.to_dict()},
        doc_updates={"sanitised_type": result.mime},
        versions={SANITISED: result.data},
        version_types={SANITISED: result.mime},
    )


def _current_label(inp: StageInput, profile: Profile) -> Label:
    floor = Label.from_dict(inp.doc.report[STAGE_CLASSIFY]["floor"])
    return effective_label(profile, inp.doc.label, inp.doc.label_source, floor)


def sanitise_settings(policy: SanitisePolicy) -> SanitiseSettings:
    """The profile's decision in the handlers' terms. OCR in raster mode only where
    tesseract is installed; the report then says the layer is missing."""
    options = CleanOptions(remove_links=policy.remove_links,
                           tracked_changes=_notice(policy.tracked_changes),
                           hidden_content=_notice(policy.hidden_content))
    mode: Mode = next((m for m in MODES if m == policy.mode), "structural")
    return SanitiseSettings(mode=mode, options=options,
                            ocr=policy.ocr and shutil.which("tesseract") is not None)


def _notice(action: str) -> NoticePolicy:
    return "refuse" if action == "refuse" else "report"


def isolation_limits(settings: Settings) -> Limits:
    return Limits(memory_bytes=settings.sanitise_memory_mb * 1024 * 1024,
                  cpu_seconds=settings.sanitise_cpu_seconds,
                  timeout_seconds=settings.sanitise_timeout_seconds)


def label(inp: StageInput) -> StageOutput:
    profile = inp.rt.profile(inp.doc.profile)
    floor = Label.from_dict(inp.doc.report[STAGE_CLASSIFY]["floor"])
    final = effective_label(profile, inp.doc.label, inp.doc.label_source, floor)
    sanitised = inp.plaintext(SANITISED)
    stamp = LabelStamp(final.to_dict(), visible=profile.stamp_text(final),
                       file_prefix=profile.file_prefix(final))
    mime = inp.doc.sanitised_type or inp.doc.detected_type or ""
    labelled = write_label(sanitised, mime, stamp)
    within = profile.within_ceiling(final)
    updates: dict[str, Any] = {"label": final.to_dict()}
    if inp.doc.label_source is None:
        updates["label_source"] = SOURCE_SYSTEM
    return StageOutput(
        findings=[] if within else [_above_ceiling(profile, final)],
        report={
            "label": final.to_dict(),
            "display": profile.display(final),
            "source": inp.doc.label_source or SOURCE_SYSTEM,
            "within_ceiling": within,
            "written_into_file": labelled != sanitised,
            # Formats without a property store (images) carry the label beside the file:
            # in this record and in the download's X-Sekisho-Label header.
            "sidecar": labelled == sanitised,
            "visible": stamp.visible,
            "file_prefix": stamp.file_prefix,
            "sha256": hashlib.sha256(labelled).hexdigest(),
        },
        doc_updates=updates,
        versions={LABELLED: labelled},
        version_types={LABELLED: mime},
    )


def _above_ceiling(profile: Profile, label: Label) -> dict[str, Any]:
    """CLS-09 (Saitama 第5 1(2)イ(ア), 第8 1(2)イ(オ)): nothing above the deployment's ceiling
    may be handled here; the finding stops later steps (exports) from going ahead."""
    over = profile.ceiling_violations(label)
    return {
        "code": "above_ceiling",
        "reason": "CLS-09",
        "over": list(over),
        "message": f"the label is outside what this deployment may handle: {', '.join(over)}",
    }


STAGE_FUNCTIONS: dict[str, Callable[[StageInput], StageOutput]] = {
    STAGE_DETECT: detect,
    STAGE_CLASSIFY: classify,
    STAGE_SANITISE: sanitise,
    STAGE_LABEL: label,
}
