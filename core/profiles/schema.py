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
