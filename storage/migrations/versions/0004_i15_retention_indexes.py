"""indexes for retention and digests: inbound by arrival; tickets by status and closing time, by grid and
report time, by grid and resolution time

Revision ID: 0004_i15
Revises: 0003
Create Date: 2026-12-03 17:10:00

The daily retention job deletes inbound messages older than ``[retention] inbound_days`` and anonymises
tickets closed longer ago than ``anonymise_closed_days``; both look rows up by age. ``tickets list --status``
uses the second index too. A digest's figures count the tickets reported and resolved in its period with
the last two, so their cost follows the period, not the years of tickets before it.
"""

from alembic import op

revision = "0004_i15"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_inbound_received_at", "inbound", ["received_at"])
    op.create_index("ix_ticket_status_closed", "ticket", ["status", "closed_at"])
    op.create_index("ix_ticket_grid_created", "ticket", ["grid_id", "created_at"])
    op.create_index("ix_ticket_grid_resolved", "ticket", ["grid_id", "resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_grid_resolved", table_name="ticket")
    op.drop_index("ix_ticket_grid_created", table_name="ticket")
    op.drop_index("ix_ticket_status_closed", table_name="ticket")
    op.drop_index("ix_inbound_received_at", table_name="inbound")
