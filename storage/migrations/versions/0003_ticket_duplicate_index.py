"""index for duplicate look-ups (grid, category, place, created_at)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 19:55:00

Every new request asks for an open ticket in the same grid, category and place; without this index the
question scans all of a grid's tickets.
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ticket_duplicate", "ticket", ["grid_id", "category", "location", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_duplicate", table_name="ticket")
