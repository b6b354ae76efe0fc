"""ORM models. The schema itself is owned by the Alembic migrations in service/migrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from service.db import utcnow


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    profile: Mapped[str | None] = mapped_column(String(100))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(40))
    user: Mapped[User] = relationship(back_populates="roles")


class ApiToken(Base):
    """Only the SHA-256 of a token is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user: Mapped[User] = relationship(lazy="joined")


class ObjectKey(Base):
    """A per-object DEK, stored only wrapped under the KEK (design: security invariants)."""

    __tablename__ = "object_keys"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    algorithm: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), default="enabled")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    destroyed_at: Mapped[datetime | None]


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str | None] = mapped_column(String(255))
    declared_type: Mapped[str | None] = mapped_column(String(255))
    detected_type: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    profile: Mapped[str] = mapped_column(String(100))
    # "outbound" (leaving the organisation) or "inbound" (arriving from outside): the
    # profile's sanitisation mode depends on it (issue 4; Chiba 2(12) is inbound only).
    direction: Mapped[str] = mapped_column(String(10), default="outbound",
                                           server_default="outbound")
    sanitised_type: Mapped[str | None] = mapped_column(String(255))
    # Issue 6. "upload" (submitted), "derived" (a copy; inherits its parent's label, Saitama
    # 第3 2(5)) or "export_package" (an encrypted export: erased like any document, 読後廃棄).
    kind: Mapped[str] = mapped_column(String(20), default="upload", server_default="upload")
    parent_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # 配布禁止: the recipients (e-mail addresses or names) the document may go to (HR-05).
    named_recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    # 閲覧制限 / 所属長限り: users besides the owner who may view or export it (HR-07).
    viewers: Mapped[list[str]] = mapped_column(JSON, default=list)
    provisions: Mapped[int] = mapped_column(default=0, server_default="0")  # 複製禁止 counter
    contract: Mapped[str | None] = mapped_column(String(100), index=True)  # return at contract end
    legal_hold: Mapped[bool] = mapped_column(default=False, server_default="0")
    state: Mapped[str] = mapped_column(String(20))
    label: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The floor the profile's rules set from the findings; the label is never below it
    # without an approval (Saitama 第3 2(1)(2), Chiba 6.2(3)).
    floor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    label_source: Mapped[str | None] = mapped_column(String(20))
    label_decided_by_id: Mapped[int | None]
    label_decided_at: Mapped[datetime | None]
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    owner: Mapped[User] = relationship()


class Blob(Base):
    """One encrypted stored object: the original upload or a derived version."""

    __tablename__ = "blobs"
    __table_args__ = (UniqueConstraint("document_id", "kind"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    key_id: Mapped[str] = mapped_column(ForeignKey("object_keys.key_id"))
    relpath: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="process")
    state: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str | None] = mapped_column(String(20))
    stages_done: Mapped[list[str]] = mapped_column(JSON, default=list)
    progress: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str | None] = mapped_column(String(255))
    lease_until: Mapped[datetime | None]
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Append-only; each row carries the previous row's hash and an HMAC of its own."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    ts: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's tip, MAC'd, so that deleting the newest events is detected too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))


class Approval(Base):
    """A request that only a different user with the approver role may grant (兼務の禁止)."""

    __tablename__ = "approvals"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    # Issue 6: requests expire; an approver who is also the requester is escalated
    # (Saitama 第2 1(6)イ) and the request says so; exceptions carry their validity.
    expires_at: Mapped[datetime | None]
    escalated: Mapped[bool] = mapped_column(default=False, server_default="0")
    valid_until: Mapped[datetime | None]
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class ClassificationDecision(Base):
    """One proposal or decision about a document's label; the history is never rewritten."""

    __tablename__ = "classification_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    label: Mapped[dict[str, Any]] = mapped_column(JSON)
    floor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approval_id: Mapped[str | None] = mapped_column(ForeignKey("approvals.id"))
    state: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class Erasure(Base):
    """A crypto-erase of one document (Saitama 第1 3(17)(18)): pending from the transaction that
    destroys its wrapped DEKs until its signed record (NIST SP 800-88 certificate fields) is
    written. ``record`` holds the exact signed bytes; ``details`` what a resumed erase needs
    (object ids, key ids, digests of the wrapped DEKs: never the wrapped bytes themselves)."""

    __tablename__ = "erasures"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), unique=True)
    state: Mapped[str] = mapped_column(String(20))
    operator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    record: Mapped[bytes | None] = mapped_column(LargeBinary)
    record_sha256: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    certificate_pem: Mapped[str | None] = mapped_column(Text)
    audit_seq: Mapped[int | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


class WithdrawnAlgorithm(Base):
    """An algorithm withdrawn for new work (危殆化, Saitama 第6 1(5)ア(オ)): every process
    loads these rows into its allow-list (service.runtime), old objects stay readable."""

    __tablename__ = "withdrawn_algorithms"

    algorithm: Mapped[str] = mapped_column(String(40), primary_key=True)
    withdrawn_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)


class Export(Base):
    """One request to let documents leave (issue 6): the decision, then the package."""

    __tablename__ = "exports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    profile: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[dict[str, Any]] = mapped_column(JSON)  # name, organisation, email, cert
    requested_format: Mapped[str | None] = mapped_column(String(20))
    format: Mapped[str | None] = mapped_column(String(20))  # the package's, once made
    document_ids: Mapped[list[str]] = mapped_column(JSON)
    decision: Mapped[dict[str, Any]] = mapped_column(JSON)  # core.handling ExportDecision
    approval_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(20), index=True)
    package_document_id: Mapped[str | None] = mapped_column(String(36))
    package_name: Mapped[str | None] = mapped_column(String(255))
    package_size: Mapped[int | None]
    package_sha256: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)  # detached CMS, integrity 2
    downloads: Mapped[int] = mapped_column(default=0, server_default="0")
    max_downloads: Mapped[int | None]
    read_once: Mapped[bool] = mapped_column(default=False, server_default="0")
    expires_at: Mapped[datetime | None]
    erasure_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    requested_by: Mapped[User] = relationship()


class ExchangeRecord(Base):
    """Ishikawa 第12(6): partner, date and time, method, content, approver and outcome of
    every exchange (exports and mail-gateway decisions); 第12(4) delivery confirmation."""

    __tablename__ = "exchange_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # "export" | "mail_outbound" | "mail_inbound"
    export_id: Mapped[str | None] = mapped_column(String(36), index=True)
    profile: Mapped[str] = mapped_column(String(100))
    partner: Mapped[dict[str, Any]] = mapped_column(JSON)
    partner_key: Mapped[str | None] = mapped_column(String(255), index=True)  # for search
    method: Mapped[str] = mapped_column(String(20))
    content: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # names, sha256, sizes, labels
    requested_by: Mapped[str | None] = mapped_column(String(100))
    approvers: Mapped[list[str]] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String(30), index=True)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    delivery: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # confirmation result
    staging_purged_at: Mapped[datetime | None]
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Disposal(Base):
    """A disposal request by records staff (issue 6, item 5): approval by another person,
    a witness where the profile demands it, then crypto-erase of every document in scope."""

    __tablename__ = "disposals"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    profile: Mapped[str] = mapped_column(String(100))
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)  # document_ids, contract or profile
    document_ids: Mapped[list[str]] = mapped_column(JSON)  # resolved when requested
    reason: Mapped[str] = mapped_column(String(40))  # 読後廃棄 | 職務上不要 | 契約終了
    note: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), index=True)
    approval_id: Mapped[str | None] = mapped_column(String(36))
    witness_required: Mapped[bool] = mapped_column(default=False)
    witness_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    witnessed_at: Mapped[datetime | None]
    total: Mapped[int] = mapped_column(default=0)
    erased: Mapped[int] = mapped_column(default=0)
    failed: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
