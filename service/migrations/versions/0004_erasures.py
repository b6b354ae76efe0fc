"""Crypto-erase records (issue 5, item 6; Saitama 第1 3(17)(18)).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", sa.String(36), primary_key=True),
        # One erase per document; no ON DELETE: a document with an erasure record is kept.
        sa.Column("document_id", sa.String(36), sa.ForeignKey("documents.id"), nullable=False,
                  unique=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("operator_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("record", sa.LargeBinary),
        sa.Column("record_sha256", sa.String(64)),
        sa.Column("signature", sa.LargeBinary),
        sa.Column("certificate_pem", sa.Text),
        sa.Column("audit_seq", sa.Integer),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("completed_at", sa.DateTime),
    )


def downgrade() -> None:
    op.drop_table("erasures")
