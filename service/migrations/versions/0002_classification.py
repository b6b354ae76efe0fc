"""Classification decisions and approval requests.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.String(64), nullable=False),
        sa.Column("requested_by_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("decided_by_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("decision_reason", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("decided_at", sa.DateTime),
    )
    op.create_index("ix_approvals_state", "approvals", ["state"])
    op.create_index("ix_approvals_object_id", "approvals", ["object_id"])
    op.create_table(
        "classification_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.String(36),
                  sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("label", sa.JSON, nullable=False),
        sa.Column("floor", sa.JSON),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("proposed_by_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("decided_by_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("approval_id", sa.String(36), sa.ForeignKey("approvals.id")),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("decided_at", sa.DateTime),
    )
    op.create_index("ix_classification_decisions_document_id", "classification_decisions",
                    ["document_id"])
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("floor", sa.JSON))
        batch.add_column(sa.Column("label_source", sa.String(20)))
        batch.add_column(sa.Column("label_decided_by_id", sa.Integer))
        batch.add_column(sa.Column("label_decided_at", sa.DateTime))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        for column in ("label_decided_at", "label_decided_by_id", "label_source", "floor"):
            batch.drop_column(column)
    op.drop_table("classification_decisions")
    op.drop_table("approvals")
