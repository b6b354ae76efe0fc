"""Withdrawn algorithms (危殆化, Saitama 第6 1(5)ア(オ); issue 5, item 7).

Every process builds its allow-list from this table at start-up and before new work, so a
withdrawal made by ``sekisho crypto withdraw`` outlives the CLI process.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "withdrawn_algorithms",
        # An allow-list id (keys.allowlist), e.g. "AES-256-GCM"; one row per withdrawn id.
        sa.Column("algorithm", sa.String(40), primary_key=True),
        sa.Column("withdrawn_at", sa.DateTime, nullable=False),
        sa.Column("withdrawn_by", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("withdrawn_algorithms")
