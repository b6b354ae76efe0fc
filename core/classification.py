"""Rules for a person's classification proposal: when it stands and when it needs approval.

Staff decide the classification of what they create or receive (Saitama 第3 2(1), Chiba
6.2(3)(4)); sekisho's floor comes from what the document contains. A proposal that covers the
floor stands on its own; one below it — or one the profile always sends for approval, such as
Saitama's 機密性1（低）(第3 2(2), LBL-08) — waits for a different user with the approver role.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import LabelAboveCeiling
from core.labels import AXES, Label
from core.profiles import Profile

BELOW_FLOOR_REF = "Saitama 第3 2(1)(2); Chiba 6.2(3)イ, 6.2(4)ウ"


@dataclass(frozen=True)
class ApprovalReason:
    code: str
    message: str
    ref: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "ref": self.ref}


def check_proposal(profile: Profile, proposal: Label) -> None:
    """Refuse what can never be granted: another profile's label, unknown restrictions, or a
    label above the deployment's ceiling (CLS-09)."""
    profile.check_label(proposal)
    if not profile.within_ceiling(proposal):
        raise LabelAboveCeiling(
            f"{profile.display(proposal)['confidentiality']} is above this deployment's ceiling "
            f"({profile.display(profile.ceiling)['confidentiality']})"
        )


def _below_floor(profile: Profile, proposal: Label, floor: Label) -> ApprovalReason | None:
    if proposal.covers(floor):
        return None
    lower = [profile.level_name(a, floor.level(a).code) for a in AXES
             if proposal.level(a) < floor.level(a)]
    missing = [profile.restriction_name(code)
               for code in sorted(floor.restrictions - proposal.restrictions)]
    parts = ([f"below {', '.join(lower)}"] if lower else []) + (
        [f"without {', '.join(missing)}"] if missing else [])
    return ApprovalReason(
        "below_floor",
        f"the proposal is {' and '.join(parts)}, which the document's content requires",
        BELOW_FLOOR_REF,
    )


def approval_reasons(profile: Profile, proposal: Label, floor: Label) -> tuple[ApprovalReason, ...]:
    """Why ``proposal`` needs an approver (empty: it stands as proposed)."""
    reasons = [r for r in (_below_floor(profile, proposal, floor),) if r is not None]
    for axis in AXES:
        ref = profile.approval_ref(axis, proposal.level(axis).code)
        if ref is not None:
            name = profile.level_name(axis, proposal.level(axis).code)
            reasons.append(ApprovalReason(
                "level_requires_approval",
                f"classifying as {name} needs an approver's consent", ref))
    return tuple(reasons)
