"""Object and job states. Strings, because they are stored and shown as they are."""

from __future__ import annotations

from typing import Final

# Document states (seed-requirements 10.3; later issues add approval, export and disposal).
DOC_RECEIVED: Final = "received"
DOC_PROCESSING: Final = "processing"
DOC_PROCESSED: Final = "processed"
DOC_FAILED: Final = "failed"
# The malware scanner reported the file (issue 4, item 7): kept encrypted, never released.
DOC_QUARANTINED: Final = "quarantined"

# Job states.
JOB_QUEUED: Final = "queued"
JOB_RUNNING: Final = "running"
JOB_SUCCEEDED: Final = "succeeded"
JOB_FAILED: Final = "failed"

# Pipeline stages, in order.
STAGE_DETECT: Final = "detect"
STAGE_CLASSIFY: Final = "classify"
STAGE_SANITISE: Final = "sanitise"
STAGE_LABEL: Final = "label"
STAGES: Final = (STAGE_DETECT, STAGE_CLASSIFY, STAGE_SANITISE, STAGE_LABEL)
DOC_ERASED: Final = "erased"
