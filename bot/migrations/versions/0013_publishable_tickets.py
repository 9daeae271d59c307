"""公示: tickets a handler marked for the alley's public page

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issues") as batch:
        batch.add_column(sa.Column("publishable", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("issues") as batch:
        batch.drop_column("publishable")
