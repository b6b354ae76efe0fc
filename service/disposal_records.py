"""Reading the signed erasure records of a disposal (service.disposals): one per document,
made by service.erasure during the execution, in the order of the disposal's documents."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.disposal_request import in_chunks
from service.models import Erasure


def erasures_of(session: Session, ids: Iterable[str]) -> list[Erasure]:
    wanted = list(ids)
    order = {d: n for n, d in enumerate(wanted)}
    found = [e for chunk in in_chunks(wanted) for e in session.execute(
        select(Erasure).where(Erasure.document_id.in_(chunk))).scalars()]
    return sorted(found, key=lambda e: order[e.document_id])


def erasure_refs(session: Session, ids: Sequence[str]) -> list[tuple[str, str, str]]:
    """(document id, erasure id, state) of each erasure, without the record bytes (GET of a
    10,000-document disposal stays small)."""
    order = {d: n for n, d in enumerate(ids)}
    rows = [(str(d), str(e), str(s)) for chunk in in_chunks(ids) for d, e, s in session.execute(
        select(Erasure.document_id, Erasure.id, Erasure.state)
        .where(Erasure.document_id.in_(chunk))).all()]
    return sorted(rows, key=lambda row: order[row[0]])
