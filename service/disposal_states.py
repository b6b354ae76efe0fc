"""The states, reasons and limits of a disposal (service.disposals), shared by its request,
approval, queueing and execution modules."""

from __future__ import annotations

from core.roles import APPROVER, AUDITOR, RECORDS_OFFICER, SECURITY_ADMIN

DISPOSAL_TASK = "sekisho.run_disposal"
OBJECT_TYPE = "disposal"
REASONS = ("読後廃棄", "職務上不要", "契約終了")  # issue 6 item 5; DSP-01..DSP-14
AWAITING_APPROVAL, AWAITING_WITNESS = "awaiting_approval", "awaiting_witness"
APPROVED, RUNNING, DONE, FAILED, REJECTED = "approved", "running", "done", "failed", "rejected"
EXPIRED = "expired"  # its approval request expired undecided
STATES = (AWAITING_APPROVAL, AWAITING_WITNESS, APPROVED, RUNNING, DONE, FAILED, REJECTED,
          EXPIRED)
# An export still able to release the content (issue 6 item 5: refused while open).
OPEN_EXPORT_STATES = ("awaiting_approval", "ready", "delivered")
WITNESS_ROLES = frozenset({APPROVER, RECORDS_OFFICER, SECURITY_ADMIN, AUDITOR})  # DSP-12
BATCH_SIZE = 200
IN_CHUNK = 500  # ids per IN (...) query: far below SQLite's and PostgreSQL's limits
MAX_NOTE = 2000
MAX_IDS = 100_000
SYSTEM_ACTOR = "system:disposal"


def after_approval(witness: bool) -> str:
    return AWAITING_WITNESS if witness else APPROVED
