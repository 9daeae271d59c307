"""polls: questions, one answer per user and question, invitations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "polls",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scale", sa.String(16), nullable=False),
        sa.Column("target_alleys", sa.JSON, nullable=False),
        sa.Column("target_office", sa.String(64), nullable=True),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("scale IN ('satisfaction', 'agreement')", name="ck_polls_scale"),
    )
    op.create_table(
        "poll_questions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("poll_id", sa.Integer, sa.ForeignKey("polls.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "poll_answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("poll_id", sa.Integer, sa.ForeignKey("polls.id"), nullable=False, index=True),
        sa.Column("question_id", sa.Integer, sa.ForeignKey("poll_questions.id"), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("alley", sa.String(64), nullable=True),
        sa.Column("rating", sa.Integer, nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("question_id", "user_id", name="uq_poll_answers_question_user"),
        sa.CheckConstraint("rating IN (1, 2, 3)", name="ck_poll_answers_rating"),
    )
    op.create_table(
        "poll_invitations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("poll_id", sa.Integer, sa.ForeignKey("polls.id"), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("poll_id", "user_id", name="uq_poll_invitations_poll_user"),
    )


def downgrade() -> None:
    for table in ("poll_invitations", "poll_answers", "poll_questions", "polls"):
        op.drop_table(table)
