"""indexes for the queries that run on every message or every list, so their cost does not grow with history

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEXES = [
    # A notice's audience by alley, a chief's or staff member's alley (no longer a scan of every user).
    ("ix_users_home_alley_id", "users", ["home_alley_id"]),
    ("ix_users_duty_alley_id", "users", ["duty_alley_id"]),
    # Pushing a poll or a notice inside the 48-hour window.
    ("ix_users_last_message_at", "users", ["last_message_at"]),
    # A chief's 待办 (open tickets of an alley), staff's (of a street office), and the overdue sweep.
    ("ix_issues_alley_status", "issues", ["alley", "status"]),
    ("ix_issues_office_status", "issues", ["street_office", "status"]),
    ("ix_issues_status_due_at", "issues", ["status", "due_at"]),
    # Broadcast claims: the next pending rows of one broadcast.
    ("ix_broadcast_deliveries_broadcast_state", "broadcast_deliveries", ["broadcast_id", "state"]),
    # Pruning the inbound log by age.
    ("ix_inbound_messages_received_at", "inbound_messages", ["received_at"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table)
