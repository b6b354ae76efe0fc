"""The pydantic models that mirror a profile YAML file (the file format, nothing more).

Every model forbids unknown keys, so a misspelt field fails at start-up instead of being
ignored. Cross-references (a restriction code used in a marking must be declared, bundles
must grow with the level, ...) are checked in :mod:`core.profiles.checks`, which can name
the exact field path; see the package docstring for the format itself.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from core.labels import PROFILE_ID, RESTRICTION_CODE

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Code = Annotated[str, StringConstraints(pattern=RESTRICTION_CODE.pattern)]
ProfileId = Annotated[str, StringConstraints(pattern=PROFILE_ID.pattern)]
CCode = Literal["C3", "C2", "C1"]
ICode = Literal["I2", "I1"]
ACode = Literal["A2", "A1"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LevelSpec(_Strict):
    """One level's native name; ``restrictions`` is the bundle the level itself carries
    (Chiba 6.1 fixes restrictions per level: HR-09..HR-18; fire union 3: HR-20/21)."""

    name: NonEmpty
    ref: NonEmpty
    definition: str | None = None
    # True when the seed has no such level and the name is ours (fire union, Ishikawa).
    synthetic: bool = False
    restrictions: list[Code] = Field(default_factory=list)
    # Set when choosing this level always needs an approver, citing why (Saitama 機密性1:
    # 第3 2(2), LBL-08 上職者の承認).
    approval_ref: str | None = None


class ConfidentialityLevels(_Strict):
    C3: LevelSpec
    C2: LevelSpec
    C1: LevelSpec


class IntegrityLevels(_Strict):
    I2: LevelSpec
    I1: LevelSpec


class AvailabilityLevels(_Strict):
    A2: LevelSpec
    A1: LevelSpec


class Levels(_Strict):
    confidentiality: ConfidentialityLevels
    integrity: IntegrityLevels
    availability: AvailabilityLevels


class RestrictionSpec(_Strict):
    name: NonEmpty
    ref: NonEmpty
    description: str | None = None


class AggregateSpec(_Strict):
    """A derived term true when any listed level is reached (Saitama 要機密情報 etc., CLS-06)."""

    name: NonEmpty
    ref: NonEmpty
    confidentiality: list[CCode] = Field(default_factory=list)
    integrity: list[ICode] = Field(default_factory=list)
    availability: list[ACode] = Field(default_factory=list)


class LabelSpec(_Strict):
    confidentiality: CCode
    integrity: ICode
    availability: ACode
    restrictions: list[Code] = Field(default_factory=list)


class CeilingSpec(_Strict):
    """Highest label this deployment may hold (CLS-09); defaults to the top of each axis.

    ``refused_restrictions``: restrictions this deployment cannot honour, so a label carrying
    one is above the ceiling whatever its levels — e.g. the fire union's
    ``internet_separated_only`` on an internet-connected instance (002 4, CLS-19). An
    internet-separated deployment overrides the profile with an empty list.
    """

    confidentiality: CCode = "C3"
    integrity: ICode = "I2"
    availability: ACode = "A2"
    refused_restrictions: list[Code] = Field(default_factory=list)


class FloorRule(_Strict):
    """The minimum label a marking or a detected entity imposes."""

    confidentiality: CCode | None = None
    integrity: ICode | None = None
    availability: ACode | None = None
    restrictions: list[Code] = Field(default_factory=list)
    ref: NonEmpty
    note: str | None = None
    # Findings scoring below this do not raise the floor (e.g. context-free matches).
    min_score: float = Field(default=0.0, ge=0.0, le=1.0)


def _default_unreadable_floor() -> FloorRule:
    return FloorRule(
        confidentiality="C2",
        ref="issue 3: fail closed",
        note="extraction was incomplete: what could not be read may hold anything",
    )


SanitiseMode = Literal["structural", "pdf", "raster"]
NoticeAction = Literal["report", "refuse"]


class DirectionSpec(_Strict):
    """How files travelling one way are sanitised (issue 4, modes): ``mode`` by default,
    ``modes`` by confidentiality level of the file's floor (e.g. C3 -> raster)."""

    mode: SanitiseMode = "structural"
    modes: dict[CCode, SanitiseMode] = Field(default_factory=dict)
    remove_links: bool = False
    tracked_changes: NoticeAction = "report"
    hidden_content: NoticeAction = "report"
    ocr: bool = True  # raster mode: keep the text as an OCR layer
    ref: str | None = None


def _default_inbound() -> DirectionSpec:
    # Chiba 2(12) 無害化: what comes in from the internet loses active content and is
    # converted; links in it are where phishing lives.
    return DirectionSpec(mode="pdf", remove_links=True, ref="Chiba 2(12)")


class SanitiseSpec(_Strict):
    outbound: DirectionSpec = Field(default_factory=DirectionSpec)
    inbound: DirectionSpec = Field(default_factory=_default_inbound)


# --- handling control (issue 6) ----------------------------------------------------------

# What a restriction code ENFORCES (its name is the profile's; HR-02 keeps the vocabulary
# open, so the enforcement is declared per code rather than inferred from the name).
Enforcement = Literal[
    "no_export",              # 持ち出し禁止 (HR-04): every export denied
    "single_provision",       # 複製禁止 (HR-03): no derivative; one provision; downloads counted
    "named_recipients_only",  # 配布禁止 (HR-05): only recipients named on the document
    "read_once",              # 読後廃棄 (HR-06): crypto-erase the export after the first open
    "restricted_viewers",     # 閲覧制限 / 所属長限り (HR-07): only listed users or roles
    "permission",             # an approval before any copy / send / provision (HR-22, HR-19)
    "no_internet",            # internet-separated only (特定個人情報, fire union 4; CLS-19)
    "encrypt",                # encrypted whenever it leaves (HR-12, HR-20)
    "sign",                   # signed whenever it leaves (HR-17 電子署名付与)
    "witnessed_disposal",     # disposal under a witness (Ishikawa 立会い, DSP-12)
]
ExportMethod = Literal["email", "media", "download", "contractor"]
Destination = Literal["internal", "owner", "external"]
Outcome = Literal["allow", "encrypt", "approval", "deny"]


class RuleCondition(_Strict):
    """Every field given must hold (AND); lists are alternatives (OR)."""

    confidentiality: CCode | None = None  # at least this level
    integrity: ICode | None = None
    restrictions: list[Code] = Field(default_factory=list)  # any of these on the bundle
    aggregates: list[Code] = Field(default_factory=list)  # any of these (e.g. yo_kimitsu)
    methods: list[ExportMethod] = Field(default_factory=list)
    destinations: list[Destination] = Field(default_factory=list)


class ExportRule(_Strict):
    id: Code
    when: RuleCondition
    outcome: Outcome
    ref: NonEmpty
    message: NonEmpty  # Japanese, the policy's own words where it has them
    message_en: str | None = None
    approver: str | None = None  # who grants it, in the policy's words (所属情報セキュリティ責任者)


class DisposalSpec(_Strict):
    approval: bool = True
    witness: bool = False
    ref: NonEmpty = "DSP-09"


class HandlingSpec(_Strict):
    """Issue 6: how labels decide what may happen to a document (exports, approvals,
    disposal). Evaluated by core.handling."""

    # Mail domains inside the organisation, and of the information's owner (for contractor
    # profiles: the police / the union); a deployment adds its own in SEKISHO_PROFILE_DIR.
    internal_domains: list[NonEmpty] = Field(default_factory=list)
    owner_domains: list[NonEmpty] = Field(default_factory=list)
    # What the profile's `organisation` is to the user of this deployment: the organisation
    # itself (Saitama, Chiba) or the information's owner (contractor profiles).
    organisation_is: Literal["internal", "owner"] = "internal"
    enforcement: dict[Code, list[Enforcement]] = Field(default_factory=dict)
    # Roles (besides the document's owner) that may view or export a restricted_viewers
    # document; a document may also list users.
    restricted_viewer_roles: list[NonEmpty] = Field(default_factory=lambda: ["approver"])
    export_rules: list[ExportRule] = Field(default_factory=list)
    approval_ttl_hours: int = Field(default=72, ge=1, le=24 * 90)
    exception_max_days: int = Field(default=365, ge=1, le=3650)  # Saitama 第2 3(2): one year
    read_once_max_hours: int = Field(default=168, ge=1, le=24 * 365)  # 読後廃棄 deadline
    disposal: DisposalSpec = Field(default_factory=DisposalSpec)


class MailSpec(_Strict):
    """Issue 7: the mail gateway's profile settings."""

    # Seconds the milter waits for a decision before answering 4xx (fail closed).
    timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    # Fail open only for these confidentiality levels, and only when the labels are known:
    # empty (the default) means every failure is a temporary failure, never a pass.
    fail_open_levels: list[CCode] = Field(default_factory=list)
    # Saitama 第8 1(3)ク, Chiba 10.1(15)ウ (XFR-07): this many external recipients in To/Cc
    # or more are moved to Bcc ("bcc"), refused ("reject") or left ("allow").
    many_recipients_threshold: int = Field(default=2, ge=2, le=1000)
    many_recipients_action: Literal["bcc", "reject", "allow"] = "allow"
    many_recipients_ref: str | None = None
    # S/MIME- or PGP-encrypted parts cannot be inspected: refuse them, or let them pass
    # (issue 7, item 2: "the profile decides").
    opaque_encrypted_parts: Literal["reject", "pass"] = "reject"
    # What the inbound gateway does with a message carrying malware: always quarantine.
    inbound_ref: str = "Chiba 2(12) 無害化通信; 7.2"


class ProfileDocument(_Strict):
    id: ProfileId
    title: NonEmpty
    organisation: NonEmpty
    issued: str | None = None
    source: NonEmpty
    levels: Levels
    restrictions: dict[Code, RestrictionSpec]
    aggregates: dict[Code, AggregateSpec] = Field(default_factory=dict)
    default_label: LabelSpec
    ceiling: CeilingSpec = Field(default_factory=CeilingSpec)
    markings: dict[str, FloorRule] = Field(default_factory=dict)
    entity_floors: dict[str, FloorRule] = Field(default_factory=dict)
    # Floor of a document whose text could not all be read (password-protected, undecodable,
    # an image without OCR): never silently the lowest label (issue 3 "What bad input gets").
    unreadable_floor: FloorRule = Field(default_factory=_default_unreadable_floor)
    sanitise: SanitiseSpec = Field(default_factory=SanitiseSpec)
    handling: HandlingSpec = Field(default_factory=HandlingSpec)
    mail: MailSpec = Field(default_factory=MailSpec)
