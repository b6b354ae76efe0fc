"""/v1/documents: upload (streamed into the encrypted store), status, content, retry."""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, request, stream_with_context, url_for
from sqlalchemy import select

from core.errors import Conflict, Forbidden, InvalidRequest, NotFound, PayloadTooLarge
from core.handling import DocumentFacts, viewer_may_access
from core.labels import Label
from core.profiles.profile import DIRECTIONS
from core.roles import CONTENT_REVIEWERS, REVIEWERS, SUBMITTERS
from core.states import DOC_FAILED, DOC_QUARANTINED, DOC_RECEIVED, JOB_FAILED, STAGE_LABEL
from handlers.filenames import with_extension_for
from handlers.labelcodec import encode_label
from service.audit import append_event
from service.auth import current_user, has_any_role, require_roles
from service.blobstore import BlobWriter
from service.jobs import new_job, requeue
from service.models import AuditEvent, Blob, Document, Job, User
from service.pipeline import LABELLED, ORIGINAL, SANITISED
from service.queue import enqueue
from service.runtime import db_session, runtime
from service.serializers import document_json
from service.uploads import ParsedUpload, parse_multipart, parse_raw_body
from service.versions import find_blob, record_blob, stream_version

log = logging.getLogger("sekisho.api")
bp = Blueprint("documents", __name__, url_prefix="/v1/documents")
VARIANTS = (LABELLED, SANITISED, ORIGINAL)
CLEANED_VARIANTS = (LABELLED, SANITISED)
PAGE_MAX = 200


def _parse_upload(writers: list[BlobWriter]) -> ParsedUpload:
    settings = runtime().settings
    length = request.content_length
    if length is not None and length > settings.max_upload_bytes + 64 * 1024:
        raise PayloadTooLarge(f"the upload exceeds the limit of {settings.max_upload_bytes} bytes")

    def make_sink() -> BlobWriter:
        writer = runtime().blobs.writer(settings.max_upload_bytes)
        writers.append(writer)
        return writer

    content_type = request.headers.get("Content-Type", "")
    stream = request.stream
    if content_type.lower().startswith("multipart/"):
        return parse_multipart(stream, content_type, make_sink)
    return parse_raw_body(stream, request.headers, make_sink)


@bp.post("")
@require_roles(*SUBMITTERS)
def upload() -> tuple[dict[str, Any], int, dict[str, str]]:
    # The direction is checked before the body is read: a bad request stores nothing.
    return store_upload(current_user(), _direction())


def store_upload(user: User, direction: str, parent: Document | None = None,
                 ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Store the request body as a new document; with ``parent``, as a document derived
    from it (a copy or an edit: it inherits the parent's confidentiality and restrictions,
    Saitama 第3 2(5), applied by the classify stage)."""
    writers: list[BlobWriter] = []
    try:
        parsed = _parse_upload(writers)
        assert isinstance(parsed.sink, BlobWriter)
        stored = parsed.sink.commit()
    except BaseException:
        for writer in writers:
            writer.abort()  # only ciphertext was written; remove it all the same
        raise
    rt = runtime()
    session = db_session()
    doc = Document(id=str(uuid.uuid4()), owner_id=user.id, filename=parsed.filename,
                   declared_type=parsed.declared_type, size=stored.size, sha256=stored.sha256,
                   profile=parent.profile if parent else rt.profile(user.profile).id,
                   state=DOC_RECEIVED, findings=[], report={}, direction=direction,
                   kind="derived" if parent else "upload",
                   parent_id=parent.id if parent else None,
                   contract=parent.contract if parent else None)
    session.add(doc)
    session.flush()
    record_blob(session, doc.id, ORIGINAL, stored, parsed.declared_type)
    job = new_job(session, doc.id)
    append_event(session, rt.audit_mac, actor=user.name, action="document.received",
                 object_type="document", object_id=doc.id,
                 details={"size": stored.size, "sha256": stored.sha256, "job": job.id,
                          "derived_from": doc.parent_id})
    session.commit()
    try:
        enqueue(rt.settings, job.id)
    except Exception:
        # The upload is safe in the store; the worker's sweeper re-sends queued jobs.
        log.warning("could not reach the task broker; job %s stays queued", job.id)
    location = url_for("documents.get_document", document_id=doc.id)
    return document_json(doc, job, []), 202, {"Location": location}


def _direction() -> str:
    """``?direction=outbound`` (default: leaving the organisation) or ``inbound`` (arriving
    from outside); the profile's sanitisation mode depends on it (issue 4)."""
    direction = request.args.get("direction", "outbound")
    if direction not in DIRECTIONS:
        raise InvalidRequest(f"direction must be one of {', '.join(DIRECTIONS)}")
    return direction


def load_visible_document(document_id: str) -> Document:
    user = current_user()
    doc = db_session().get(Document, document_id)
    if doc is None:
        raise NotFound(f"no document {document_id}")
    if doc.owner_id != user.id and not has_any_role(user, REVIEWERS):
        # Someone else's document is as invisible as a missing one.
        raise NotFound(f"no document {document_id}")
    if doc.label and not _viewer_allowed(doc, user):
        # 閲覧制限 / 所属長限り (HR-07): outside the viewing scope it does not exist either.
        raise NotFound(f"no document {document_id}")
    return doc


def _viewer_allowed(doc: Document, user: User) -> bool:
    facts = DocumentFacts(doc.id, doc.filename or doc.id, Label.from_dict(doc.label or {}),
                          doc.owner_id, viewers=frozenset(doc.viewers or ()))
    return viewer_may_access(runtime().profile(doc.profile), facts, user.id, user.name,
                             user.role_names)


def latest_job(document_id: str) -> Job | None:
    return db_session().execute(
        select(Job).where(Job.document_id == document_id).order_by(Job.created_at.desc())
    ).scalars().first()


def _history(document_id: str) -> list[AuditEvent]:
    return list(db_session().execute(
        select(AuditEvent).where(AuditEvent.object_id == document_id).order_by(AuditEvent.seq)
    ).scalars())


@bp.get("")
@require_roles(*SUBMITTERS, *REVIEWERS)
def list_documents() -> dict[str, Any]:
    user = current_user()
    limit = min(max(request.args.get("limit", 50, type=int) or 50, 1), PAGE_MAX)
    query = select(Document).order_by(Document.created_at.desc()).limit(limit)
    if not has_any_role(user, REVIEWERS):
        query = query.where(Document.owner_id == user.id)
    docs = db_session().execute(query).scalars().all()
    return {"documents": [document_json(d, latest_job(d.id), None) for d in docs]}


@bp.get("/<document_id>")
@require_roles(*SUBMITTERS, *REVIEWERS)
def get_document(document_id: str) -> dict[str, Any]:
    doc = load_visible_document(document_id)
    return document_json(doc, latest_job(doc.id), _history(doc.id))


def _may_read_content(user: User, doc: Document) -> bool:
    return doc.owner_id == user.id or has_any_role(user, CONTENT_REVIEWERS)


@bp.get("/<document_id>/content")
@require_roles(*SUBMITTERS, *CONTENT_REVIEWERS)
def get_content(document_id: str) -> Response:
    user = current_user()
    doc = load_visible_document(document_id)
    if not _may_read_content(user, doc):
        raise Forbidden("only the submitter and approvers may read a document's content")
    if doc.state == DOC_QUARANTINED:
        raise Forbidden("the malware scanner reported this document; it is quarantined")
    variant = request.args.get("variant")
    if variant is not None and variant not in VARIANTS:
        raise NotFound(f"no variant {variant!r}; use one of {', '.join(VARIANTS)}")
    # Without ?variant, only a cleaned version: the original as uploaded (active content
    # and metadata included) is never what a plain download returns, even before the
    # pipeline has finished or after it failed.
    kinds = [variant] if variant else list(CLEANED_VARIANTS)
    session = db_session()
    blob = next((b for k in kinds if (b := find_blob(session, doc.id, k)) is not None), None)
    if blob is None and variant is None:
        raise Conflict(_not_cleaned_message(doc), code="not_processed")
    if blob is None:
        raise NotFound("the requested version does not exist yet")
    chunks = stream_version(session, runtime().blobs, blob)
    append_event(session, runtime().audit_mac, actor=user.name, action="document.content_read",
                 object_type="document", object_id=doc.id, details={"variant": blob.kind})
    session.commit()
    headers = {"X-Sekisho-Variant": blob.kind, "Content-Length": str(blob.size),
               "Content-Disposition": _disposition(download_name(doc, blob), blob.kind)}
    if blob.kind == LABELLED and doc.label:
        # The label beside the bytes, for formats that cannot carry it (images: a sidecar).
        headers["X-Sekisho-Label"] = quote(encode_label(doc.label), safe="")
    return Response(stream_with_context(chunks), mimetype=blob.content_type or
                    "application/octet-stream", headers=headers)


def _not_cleaned_message(doc: Document) -> str:
    if doc.state == DOC_FAILED:
        return ("the document failed processing and has no cleaned version; "
                "?variant=original returns the upload as it was")
    return (f"the document is {doc.state}: poll GET /v1/documents/{doc.id} until it is "
            "processed (?variant=original returns the upload as it was)")


def _disposition(filename: str | None, kind: str) -> str:
    name = filename or f"document-{kind}"
    return f"attachment; filename*=UTF-8''{quote(name)}"


def download_name(doc: Document, blob: Blob) -> str | None:
    """The labelled file's name carries the classification (Chiba 6.2(2)): 【機密性2】 in
    front, and the extension of what the file now is (report.docm -> 【機密性2】report.docx,
    report.docx in pdf mode -> 【機密性2】report.pdf)."""
    if doc.filename is None or blob.kind == ORIGINAL:
        return doc.filename
    name = with_extension_for(doc.filename, doc.detected_type, blob.content_type)
    prefix = ((doc.report or {}).get(STAGE_LABEL) or {}).get("file_prefix", "")
    if blob.kind == LABELLED and prefix and not name.startswith(prefix):
        name = prefix + name
    return name


@bp.post("/<document_id>/retry")
@require_roles(*SUBMITTERS)
def retry(document_id: str) -> tuple[dict[str, Any], int]:
    doc = load_visible_document(document_id)
    if doc.owner_id != current_user().id:
        raise Forbidden("only the submitter may retry processing")
    job = latest_job(doc.id)
    if doc.state != DOC_FAILED or job is None or job.state != JOB_FAILED:
        raise Conflict("only a failed document can be retried")
    db_session().close()
    rt = runtime()
    requeue(rt, [job.id], lambda job_id: enqueue(rt.settings, job_id))
    session = db_session()
    doc = session.get_one(Document, document_id)
    return document_json(doc, latest_job(doc.id), _history(doc.id)), 202
