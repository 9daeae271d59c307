"""小巷管家: claims, patrols, the double-entry points ledger, rewards and redemptions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "steward_claims",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("alley", sa.String(64), nullable=False, index=True),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        _when("created_at"), _when("decided_at", nullable=True),
    )
    op.create_table(
        "patrols",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("alley", sa.String(64), nullable=False),
        sa.Column("day", sa.String(10), nullable=False, index=True),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("visits", sa.Integer, nullable=False),
        sa.Column("fixes", sa.Integer, nullable=False),
        sa.Column("reports", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("verified_by", sa.String(16), nullable=True),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("lng", sa.Float, nullable=True),
        sa.Column("points", sa.Integer, nullable=False),
        _when("created_at"), _when("updated_at"),
        sa.UniqueConstraint("user_id", "alley", "day", name="uq_patrols_user_alley_day"),
    )
    op.create_table(
        "ledger_transfers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(120), nullable=False, unique=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("memo", sa.Text, nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True, index=True),
        sa.Column("day", sa.String(10), nullable=False, index=True),
        _when("created_at"),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("transfer_id", sa.Integer, sa.ForeignKey("ledger_transfers.id"), nullable=False, index=True),
        sa.Column("account", sa.String(40), nullable=False, index=True),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.CheckConstraint("amount <> 0", name="ck_ledger_entries_nonzero"),
    )
    op.create_table(
        "ledger_balances",
        sa.Column("account", sa.String(40), primary_key=True),
        sa.Column("balance", sa.Integer, nullable=False),
        # The database itself refuses an overdrawn volunteer, whatever the code does.
        sa.CheckConstraint("balance >= 0 OR account LIKE 'issuer:%'", name="ck_ledger_balances_not_negative"),
    )
    op.create_table(
        "rewards",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("cost", sa.Integer, nullable=False),
        sa.Column("stock", sa.Integer, nullable=False),
        sa.CheckConstraint("stock >= 0", name="ck_rewards_stock"),
    )
    op.create_table(
        "redemptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(80), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("reward_code", sa.String(32), sa.ForeignKey("rewards.code"), nullable=False),
        sa.Column("cost", sa.Integer, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        _when("created_at"), _when("decided_at", nullable=True),
    )


def downgrade() -> None:
    for table in ("redemptions", "rewards", "ledger_balances", "ledger_entries", "ledger_transfers", "patrols",
                  "steward_claims"):
        op.drop_table(table)
