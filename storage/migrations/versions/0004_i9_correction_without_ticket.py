"""a correction may come without a ticket (a resident's answer to a clarifying question)

Revision ID: 0004_i9
Revises: 0004_i12
Create Date: 2026-12-03 17:20:00

A resident who answers 不是 to "is this a request about X?" (or names another category) gives a labelled
example that `gridbot nlp train --corrections` learns from, but no ticket exists for it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_i9"
down_revision = "0004_i12"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("correction", schema=None) as batch_op:
        batch_op.alter_column("ticket_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM correction WHERE ticket_id IS NULL")
    with op.batch_alter_table("correction", schema=None) as batch_op:
        batch_op.alter_column("ticket_id", existing_type=sa.Integer(), nullable=False)
