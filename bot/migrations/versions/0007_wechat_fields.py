"""room for every event type WeChat sends (event:qualification_verify_success is 34 characters)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.alter_column("msg_type", type_=sa.String(80), existing_type=sa.String(32), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.alter_column("msg_type", type_=sa.String(32), existing_type=sa.String(80), existing_nullable=False)
