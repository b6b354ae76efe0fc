"""The disposal workflow of records staff (issue 6, item 5; design: "Records staff, verified
erasure"): request -> approval by a different person -> witness where the profile asks ->
crypto-erase of every document in scope, in batches, with progress -> signed records.

- A request names documents, a contract (返却・消去 at contract end: fire union 3, Saitama 第4)
  or a whole tenant (profile) and a reason (読後廃棄 | 職務上不要 | 契約終了). The documents are
  resolved when asked, copies included (a copy must go with its original: DSP-03), and the
  request is refused while any of them is under legal hold or an open export.
- Approval through service.approvals (kind "disposal": the requester never approves, SOD-01;
  Chiba 6.2(10)ウ, Ishikawa 第3 2(2)); a witness who is neither requester nor approver where
  ``handling.disposal.witness`` (Ishikawa 立会い, DSP-12).
- Execution is a worker task (``DISPOSAL_TASK``): batches through service.erasure (one signed
  record per document), the progress committed after each batch. It is resumable: a rerun
  erases only what has no completed record yet (erase_documents finishes pending erases).

The code lives in service.disposal_* (states, request, approval, queue, execution, records);
this module is the public entry point and re-exports their names. Importing it registers the
approval handlers and the worker task.
"""

from __future__ import annotations

from service.disposal_approval import (
    approver_of,
    requeue_disposal,
    witness_disposal,
)
from service.disposal_execution import (
    claim,
    run_disposal,
    run_disposal_task,
    stalled_disposals,
    sweep_disposals,
)
from service.disposal_queue import (
    enqueue_after_commit,
    enqueue_disposal,
)
from service.disposal_records import (
    erasure_refs,
    erasures_of,
)
from service.disposal_request import (
    DisposalAsk,
    DisposalRefused,
    parse_request,
    refusals,
    request_disposal,
    resolve_documents,
)
from service.disposal_states import (
    APPROVED,
    AWAITING_APPROVAL,
    AWAITING_WITNESS,
    BATCH_SIZE,
    DISPOSAL_TASK,
    DONE,
    EXPIRED,
    FAILED,
    IN_CHUNK,
    MAX_IDS,
    MAX_NOTE,
    OBJECT_TYPE,
    OPEN_EXPORT_STATES,
    REASONS,
    REJECTED,
    RUNNING,
    STATES,
    SYSTEM_ACTOR,
    WITNESS_ROLES,
)

__all__ = [
    "APPROVED",
    "AWAITING_APPROVAL",
    "AWAITING_WITNESS",
    "BATCH_SIZE",
    "DISPOSAL_TASK",
    "DONE",
    "EXPIRED",
    "FAILED",
    "IN_CHUNK",
    "MAX_IDS",
    "MAX_NOTE",
    "OBJECT_TYPE",
    "OPEN_EXPORT_STATES",
    "REASONS",
    "REJECTED",
    "RUNNING",
    "STATES",
    "SYSTEM_ACTOR",
    "WITNESS_ROLES",
    "DisposalAsk",
    "DisposalRefused",
    "approver_of",
    "claim",
    "enqueue_after_commit",
    "enqueue_disposal",
    "erasure_refs",
    "erasures_of",
    "parse_request",
    "refusals",
    "request_disposal",
    "requeue_disposal",
    "resolve_documents",
    "run_disposal",
    "run_disposal_task",
    "stalled_disposals",
    "sweep_disposals",
    "witness_disposal",
]
