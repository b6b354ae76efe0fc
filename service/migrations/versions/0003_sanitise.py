"""Sanitisation: the direction a document travels and the type its sanitised version has.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("direction", sa.String(10), nullable=False,
                                   server_default="outbound"))
        batch.add_column(sa.Column("sanitised_type", sa.String(255)))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("sanitised_type")
        batch.drop_column("direction")
