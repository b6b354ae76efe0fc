"""What the engine answers: an outcome, every reason with its requirement, and what the
package must be (encrypted, signed, read once)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.labels import Label

# Strictness order: the strictest outcome of all reasons is the decision.
OUTCOMES = ("allow", "encrypt", "approval", "deny")
RANK = {name: rank for rank, name in enumerate(OUTCOMES)}
# The names the API uses for the decision as a whole (issue 6, item 1).
DECISION_NAMES = {"allow": "allow", "encrypt": "encryption_required",
                  "approval": "approval_required", "deny": "deny"}


@dataclass(frozen=True)
class Reason:
    rule: str
    outcome: str
    ref: str
    message: str
    message_en: str | None = None
    documents: tuple[str, ...] = ()
    approver: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule, "outcome": self.outcome, "ref": self.ref,
                               "message": self.message}
        if self.message_en:
            out["message_en"] = self.message_en
        if self.documents:
            out["documents"] = list(self.documents)
        if self.approver:
            out["approver"] = self.approver
        return out


@dataclass(frozen=True)
class ExportDecision:
    outcome: str  # one of OUTCOMES
    reasons: tuple[Reason, ...]
    label: Label  # the bundle's: highest per axis, restrictions united (LBL-07)
    destination: str
    encrypt: bool
    sign: bool
    read_once: bool
    single_provision: bool
    pending_approvals: tuple[Reason, ...] = ()
    conflicts: tuple[str, ...] = field(default_factory=tuple)

    @property
    def decision(self) -> str:
        return DECISION_NAMES[self.outcome]

    @property
    def denied(self) -> bool:
        return self.outcome == "deny"

    @property
    def strictest(self) -> Reason | None:
        ranked = [r for r in self.reasons if RANK[r.outcome] == RANK[self.outcome]]
        return ranked[0] if ranked else None

    def to_dict(self) -> dict[str, Any]:
        strictest = self.strictest
        return {
            "decision": self.decision,
            "reasons": [r.to_dict() for r in self.reasons],
            "requirements": sorted({r.ref for r in self.reasons}),
            "label": self.label.to_dict(),
            "destination": self.destination,
            "package": {"encrypt": self.encrypt, "sign": self.sign,
                        "read_once": self.read_once, "single_provision": self.single_provision},
            "pending_approvals": [r.to_dict() for r in self.pending_approvals],
            "conflicts": list(self.conflicts),
            "strictest": strictest.to_dict() if strictest else None,
        }
