"""Exchange records (情報の授受の記録, Ishikawa 第12(6)): partner, date and time, method, content
(names, hashes, sizes, labels — never the content itself), approvers and outcome of every
export decision and every mail-gateway decision; the delivery confirmation of 第12(4) and the
staging purge of Saitama 第8 1(3)ケ are added to the same record.

Records staff and auditors search them (``search_records``) and export them as JSON or CSV
(``records_csv``: UTF-8 with a BOM so that Excel reads the Japanese columns).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit import Mac, append_event
from service.db import utcnow
from service.models import ExchangeRecord

SOURCES = frozenset({"export", "mail_outbound", "mail_inbound"})
CONTENT_FIELDS = ("name", "sha256", "size", "label")
PAGE_MAX = 1000
CSV_COLUMNS = ("id", "occurred_at", "source", "export_id", "profile", "partner_name",
               "partner_organisation", "partner_email", "method", "content_names",
               "content_sha256", "content_labels", "requested_by", "approvers", "outcome",
               "requirements", "delivery", "staging_purged_at")


def _partner_key(partner: dict[str, Any]) -> str:
    """One lower-case string of everything that names the partner: the substring search."""
    parts = (partner.get("name"), partner.get("organisation"), partner.get("email"))
    return " ".join(str(p).strip().lower() for p in parts if p)[:255]


def _content_entries(content: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    # Only the identifying fields are kept: a record must never carry the content (第12(6)
    # asks for what was exchanged, not a copy of it).
    return [{k: entry.get(k) for k in CONTENT_FIELDS} for entry in content]


def record_exchange(
    session: Session, *, source: str, profile: str, partner: dict[str, Any], method: str,
    content: Iterable[dict[str, Any]], requested_by: str | None, approvers: Sequence[str],
    outcome: str, reasons: Sequence[dict[str, Any]], export_id: str | None = None,
    mac: Mac | None = None,
) -> ExchangeRecord:
    """Write one exchange record (the caller commits). With ``mac``, an audit event too."""
    if source not in SOURCES:
        raise ValueError(f"unknown exchange source {source!r}")
    record = ExchangeRecord(
        id=str(uuid.uuid4()), source=source, export_id=export_id, profile=profile,
        partner=dict(partner), partner_key=_partner_key(partner), method=method,
        content=_content_entries(content), requested_by=requested_by,
        approvers=list(approvers), outcome=outcome, reasons=list(reasons),
        occurred_at=utcnow())
    session.add(record)
    session.flush()
    if mac is not None:
        append_event(session, mac, actor=requested_by or "system", action="exchange.recorded",
                     object_type="exchange_record", object_id=record.id,
                     details={"source": source, "export": export_id, "outcome": outcome})
    return record


def record_of_export(session: Session, export_id: str) -> ExchangeRecord | None:
    return session.execute(
        select(ExchangeRecord).where(ExchangeRecord.export_id == export_id)
        .order_by(ExchangeRecord.occurred_at.desc())
    ).scalars().first()


def update_exchange(record: ExchangeRecord, *, outcome: str | None = None,
                    approvers: Sequence[str] | None = None,
                    delivery: dict[str, Any] | None = None,
                    staging_purged_at: datetime | None = None) -> None:
    """Later facts of the same exchange: approval, package sent, confirmation, purge."""
    if outcome is not None:
        record.outcome = outcome
    if approvers is not None:
        record.approvers = list(approvers)
    if delivery is not None:
        # A new dict: the JSON column sees the change.
        record.delivery = {**(record.delivery or {}), **delivery}
    if staging_purged_at is not None:
        record.staging_purged_at = staging_purged_at


@dataclass(frozen=True)
class RecordFilter:
    partner: str | None = None
    method: str | None = None
    outcome: str | None = None
    source: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = PAGE_MAX


def search_records(session: Session, flt: RecordFilter) -> list[ExchangeRecord]:
    query = select(ExchangeRecord).order_by(ExchangeRecord.occurred_at, ExchangeRecord.id)
    if flt.partner:
        query = query.where(ExchangeRecord.partner_key.contains(
            flt.partner.strip().lower(), autoescape=True))
    if flt.method:
        query = query.where(ExchangeRecord.method == flt.method)
    if flt.outcome:
        query = query.where(ExchangeRecord.outcome == flt.outcome)
    if flt.source:
        query = query.where(ExchangeRecord.source == flt.source)
    if flt.start:
        query = query.where(ExchangeRecord.occurred_at >= flt.start)
    if flt.end:
        query = query.where(ExchangeRecord.occurred_at <= flt.end)
    return list(session.execute(query.limit(min(max(flt.limit, 1), PAGE_MAX))).scalars())


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def exchange_json(record: ExchangeRecord) -> dict[str, Any]:
    return {"id": record.id, "source": record.source, "export_id": record.export_id,
            "profile": record.profile, "partner": record.partner, "method": record.method,
            "content": record.content, "requested_by": record.requested_by,
            "approvers": record.approvers or [], "outcome": record.outcome,
            "reasons": record.reasons or [], "delivery": record.delivery,
            "staging_purged_at": _iso(record.staging_purged_at),
            "occurred_at": _iso(record.occurred_at)}


def _label_code(label: Any) -> str:
    if not isinstance(label, dict):
        return ""
    axes = [str(label.get(a, "")) for a in ("confidentiality", "integrity", "availability")]
    restrictions = label.get("restrictions") or []
    return "/".join(axes) + (f" [{','.join(restrictions)}]" if restrictions else "")


def _csv_row(record: ExchangeRecord) -> list[str]:
    partner, content = record.partner or {}, record.content or []
    return [record.id, _iso(record.occurred_at) or "", record.source, record.export_id or "",
            record.profile, str(partner.get("name") or ""),
            str(partner.get("organisation") or ""), str(partner.get("email") or ""),
            record.method, "; ".join(str(c.get("name") or "") for c in content),
            "; ".join(str(c.get("sha256") or "") for c in content),
            "; ".join(_label_code(c.get("label")) for c in content),
            record.requested_by or "", "; ".join(record.approvers or []), record.outcome,
            "; ".join(sorted({str(r.get("ref")) for r in record.reasons or [] if r.get("ref")})),
            json.dumps(record.delivery, ensure_ascii=False) if record.delivery else "",
            _iso(record.staging_purged_at) or ""]


def _neutralise(cell: str) -> str:
    # A partner name such as "=HYPERLINK(...)" must not become a formula in Excel.
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def records_csv(records: Iterable[ExchangeRecord]) -> bytes:
    """One row per record, every cell quoted, UTF-8 with a BOM (Excel opens it as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        writer.writerow([_neutralise(cell) for cell in _csv_row(record)])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")
