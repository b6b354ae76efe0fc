"""Handling control (issue 6): document handling fields, approval expiry and escalation,
exports, exchange records (Ishikawa 第12(6)) and disposals.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _document_columns() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False,
                                   server_default="upload"))
        batch.add_column(sa.Column("parent_id", sa.String(36)))
        batch.add_column(sa.Column("named_recipients", sa.JSON))
        batch.add_column(sa.Column("viewers", sa.JSON))
        batch.add_column(sa.Column("provisions", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("contract", sa.String(100)))
        batch.add_column(sa.Column("legal_hold", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
    op.create_index("ix_documents_parent_id", "documents", ["parent_id"])
    op.create_index("ix_documents_contract", "documents", ["contract"])


def _approval_columns() -> None:
    with op.batch_alter_table("approvals") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime))
        batch.add_column(sa.Column("escalated", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("valid_until", sa.DateTime))


def _exports() -> None:
    op.create_table(
        "exports",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("requested_by_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False,
                  index=True),
        sa.Column("profile", sa.String(100), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("recipient", sa.JSON, nullable=False),
        sa.Column("requested_format", sa.String(20)),
        sa.Column("format", sa.String(20)),
        sa.Column("document_ids", sa.JSON, nullable=False),
        sa.Column("decision", sa.JSON, nullable=False),
        sa.Column("approval_ids", sa.JSON),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("package_document_id", sa.String(36)),
        sa.Column("package_name", sa.String(255)),
        sa.Column("package_size", sa.Integer),
        sa.Column("package_sha256", sa.String(64)),
        sa.Column("signature", sa.LargeBinary),
        sa.Column("downloads", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_downloads", sa.Integer),
        sa.Column("read_once", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("expires_at", sa.DateTime),
        sa.Column("erasure_id", sa.String(36)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def _exchange_records() -> None:
    op.create_table(
        "exchange_records",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("export_id", sa.String(36), index=True),
        sa.Column("profile", sa.String(100), nullable=False),
        sa.Column("partner", sa.JSON, nullable=False),
        sa.Column("partner_key", sa.String(255), index=True),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("requested_by", sa.String(100)),
        sa.Column("approvers", sa.JSON),
        sa.Column("outcome", sa.String(30), nullable=False, index=True),
        sa.Column("reasons", sa.JSON),
        sa.Column("delivery", sa.JSON),
        sa.Column("staging_purged_at", sa.DateTime),
        sa.Column("occurred_at", sa.DateTime, nullable=False, index=True),
    )


def _disposals() -> None:
    op.create_table(
        "disposals",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("requested_by_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("profile", sa.String(100), nullable=False),
        sa.Column("scope", sa.JSON, nullable=False),
        sa.Column("document_ids", sa.JSON, nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("approval_id", sa.String(36)),
        sa.Column("witness_required", sa.Boolean, nullable=False),
        sa.Column("witness_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("witnessed_at", sa.DateTime),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("erased", sa.Integer, nullable=False),
        sa.Column("failed", sa.JSON),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("started_at", sa.DateTime),
        sa.Column("completed_at", sa.DateTime),
    )


def upgrade() -> None:
    _document_columns()
    _approval_columns()
    _exports()
    _exchange_records()
    _disposals()


def downgrade() -> None:
    op.drop_table("disposals")
    op.drop_table("exchange_records")
    op.drop_table("exports")
    with op.batch_alter_table("approvals") as batch:
        for column in ("valid_until", "escalated", "expires_at"):
            batch.drop_column(column)
    op.drop_index("ix_documents_contract", "documents")
    op.drop_index("ix_documents_parent_id", "documents")
    with op.batch_alter_table("documents") as batch:
        for column in ("legal_hold", "contract", "provisions", "viewers", "named_recipients",
                       "parent_id", "kind"):
            batch.drop_column(column)
