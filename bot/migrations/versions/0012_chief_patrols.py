"""街巷长日志: chiefs' patrols of their alleys

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chief_patrols",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("alley", sa.String(64), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("lng", sa.Float, nullable=True),
        sa.Column("verified", sa.Boolean, nullable=False),
        sa.Column("source_key", sa.String(80), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_chief_patrols_alley_day", "chief_patrols", ["alley", "day"])
    op.create_index("ix_chief_patrols_user_day", "chief_patrols", ["user_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_chief_patrols_user_day", "chief_patrols")
    op.drop_index("ix_chief_patrols_alley_day", "chief_patrols")
    op.drop_table("chief_patrols")
