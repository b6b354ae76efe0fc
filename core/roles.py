"""The roles of sekisho (seed-requirements 10.2) and the state names of objects and jobs."""

from __future__ import annotations

from typing import Final

UPLOADER: Final = "uploader"
APPROVER: Final = "approver"
RECORDS_OFFICER: Final = "records_officer"
SECURITY_ADMIN: Final = "security_admin"
AUDITOR: Final = "auditor"
GATEWAY: Final = "gateway"

ROLES: Final = frozenset({UPLOADER, APPROVER, RECORDS_OFFICER, SECURITY_ADMIN, AUDITOR, GATEWAY})

# Roles that submit documents and may read back what they submitted.
SUBMITTERS: Final = frozenset({UPLOADER, GATEWAY})
# Roles that review documents of others (metadata, labels, findings; content only for approvers:
# need-to-know, Saitama 第3 3(1)).
REVIEWERS: Final = frozenset({APPROVER, RECORDS_OFFICER, SECURITY_ADMIN, AUDITOR})
CONTENT_REVIEWERS: Final = frozenset({APPROVER})
