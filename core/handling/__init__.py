"""Handling control (issue 6): what a document's label lets happen next.

Pure policy, no I/O: the service gathers the facts (documents with labels, the recipient, the
requester, approvals already granted) into an :class:`ExportContext`, and
:func:`decide_export` returns an :class:`ExportDecision` with every reason and the
requirement it comes from. The same engine serves ``POST /v1/exports`` and the mail gateway
(issue 7), so an attachment and a download obey the same rules.
"""

from core.handling.context import (
    DocumentFacts,
    ExportContext,
    Recipient,
    Requester,
    destination_of,
)
from core.handling.decision import OUTCOMES, ExportDecision, Reason
from core.handling.engine import (
    BUILTIN_RULES,
    decide_export,
    enforcement_of,
    rule_ids,
    viewer_may_access,
)

__all__ = [
    "BUILTIN_RULES",
    "OUTCOMES",
    "DocumentFacts",
    "ExportContext",
    "ExportDecision",
    "Reason",
    "Recipient",
    "Requester",
    "decide_export",
    "destination_of",
    "enforcement_of",
    "rule_ids",
    "viewer_may_access",
]
