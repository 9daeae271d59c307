"""the console's desk: tickets assigned to a person, entered by phone or at the counter, reply templates

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issues") as batch:
        batch.add_column(sa.Column("assignee_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("channel", sa.String(8), nullable=False, server_default="wechat"))
        batch.add_column(sa.Column("contact_name", sa.String(32), nullable=True))
        batch.add_column(sa.Column("contact_phone", sa.String(32), nullable=True))
        batch.create_foreign_key("fk_issues_assignee_id_users", "users", ["assignee_id"], ["id"])
        batch.create_index("ix_issues_assignee_id", ["assignee_id"])
    op.create_table(
        "reply_templates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("street_office", sa.String(64), nullable=False),
        sa.Column("title", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("category", sa.String(32), nullable=True),
        sa.Column("action", sa.String(16), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_reply_templates_office", "reply_templates", ["street_office"])


def downgrade() -> None:
    op.drop_index("ix_reply_templates_office", "reply_templates")
    op.drop_table("reply_templates")
    with op.batch_alter_table("issues") as batch:
        batch.drop_index("ix_issues_assignee_id")
        batch.drop_constraint("fk_issues_assignee_id_users", type_="foreignkey")
        for column in ("contact_phone", "contact_name", "channel", "assignee_id"):
            batch.drop_column(column)
