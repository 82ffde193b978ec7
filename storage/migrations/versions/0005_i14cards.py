"""interactive cards: the card table, and the msgid of every app message (what message/recall takes)

Revision ID: 0005_i14cards
Revises: 0004_i11
Create Date: 2026-12-04 01:40:00
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0005_i14cards"
down_revision = "0004_i11"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as b:
        b.add_column(sa.Column("msgid", sa.String(length=128), nullable=True))
    op.create_table(
        "card",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("task_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=True),
        sa.Column("userid", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("done_by", sa.String(length=100), nullable=True),
        sa.Column("awaiting", sa.String(length=20), nullable=True),
        sa.Column("awaiting_until", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("task_id"),
    )
    op.create_index("ix_card_ticket_id", "card", ["ticket_id"])
    op.create_index("ix_card_awaiting", "card", ["userid", "awaiting_until"])


def downgrade() -> None:
    op.drop_index("ix_card_awaiting", table_name="card")
    op.drop_index("ix_card_ticket_id", table_name="card")
    op.drop_table("card")
    with op.batch_alter_table("outbox") as b:
        b.drop_column("msgid")
