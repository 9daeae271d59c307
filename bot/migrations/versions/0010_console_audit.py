"""the staff console's audit log: who did what to which object, when, from which address

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("object_kind", sa.String(16), nullable=False),
        sa.Column("object_ref", sa.String(64), nullable=False),
        sa.Column("street_office", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
    )
    op.create_index("ix_audit_log_office_at", "audit_log", ["street_office", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_office_at", "audit_log")
    op.drop_table("audit_log")
