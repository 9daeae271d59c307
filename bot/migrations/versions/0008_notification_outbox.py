"""notifications as an outbox: events owe their notices until expanded, notices are claimed and retried

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Events written before this revision were notified by the old job: they owe nothing.
    op.add_column("issue_events", sa.Column("notified", sa.Boolean, nullable=False, server_default=sa.true()))
    with op.batch_alter_table("notices") as batch:
        batch.alter_column("status", type_=sa.String(12), existing_type=sa.String(8), existing_nullable=False)
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
    # A notice left "pending" by the old scheme was claimed and maybe sent: it is uncertain, not owed.
    op.execute("UPDATE notices SET status = 'uncertain' WHERE status = 'pending'")
    op.create_index("ix_issue_events_unnotified", "issue_events", ["notified"])


def downgrade() -> None:
    op.drop_index("ix_issue_events_unnotified", "issue_events")
    with op.batch_alter_table("notices") as batch:
        batch.drop_column("next_attempt_at")
        batch.drop_column("attempts")
        batch.alter_column("status", type_=sa.String(8), existing_type=sa.String(12), existing_nullable=False)
    op.drop_column("issue_events", "notified")
