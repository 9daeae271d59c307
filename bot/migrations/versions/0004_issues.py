"""随手拍 issues: tickets, photos, followers, audit events; notices owed to users; blocked users

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

STATUSES = ("received", "accepted", "in_progress", "forwarded", "resolved", "rejected", "duplicate", "withdrawn")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("blocked", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("held_notices", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "issues",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ticket", sa.String(24), nullable=True, unique=True),
        sa.Column("reporter_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("source_key", sa.String(80), nullable=False, unique=True),
        sa.Column("alley", sa.String(64), nullable=False, index=True),
        sa.Column("street_office", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("triage", sa.String(8), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("lng", sa.Float, nullable=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("handler_openid", sa.String(64), nullable=True),
        sa.Column("department", sa.String(32), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer, sa.ForeignKey("issues.id"), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("rating", sa.Integer, nullable=True),
        sa.Column("escalated", sa.Boolean, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_on", sa.String(10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"status IN ({', '.join(repr(s) for s in STATUSES)})", name="ck_issues_status"),
        sa.CheckConstraint("rating IS NULL OR rating IN (1, 2, 3)", name="ck_issues_rating"),
    )
    op.create_table(
        "issue_photos",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("issue_id", sa.Integer, sa.ForeignKey("issues.id"), nullable=False, index=True),
        sa.Column("media_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("path", sa.String(255), nullable=True),
        sa.Column("thumb_path", sa.String(255), nullable=True),
        sa.Column("phash", sa.String(16), nullable=True),
        sa.Column("width", sa.Integer, nullable=True),
        sa.Column("height", sa.Integer, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("issue_id", "media_id", name="uq_issue_photos_issue_media"),
    )
    op.create_table(
        "issue_followers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("issue_id", sa.Integer, sa.ForeignKey("issues.id"), nullable=False, index=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("issue_id", "user_id", name="uq_issue_followers_issue_user"),
    )
    op.create_table(
        "issue_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("issue_id", sa.Integer, sa.ForeignKey("issues.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(120), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(8), nullable=False, index=True),
        sa.Column("errcode", sa.Integer, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("notices", "issue_events", "issue_followers", "issue_photos", "issues"):
        op.drop_table(table)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("held_notices")
        batch.drop_column("blocked")
