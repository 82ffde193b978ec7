"""the AI bot's response_urls: one later answer into a conversation each, for an hour

Revision ID: 0006_reply_url
Revises: 0005_i14cards
Create Date: 2026-12-04 02:30:00
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0006_reply_url"
down_revision = "0005_i14cards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reply_url",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chat_key", sa.String(length=200), nullable=False),
        sa.Column("userid", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=200), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_reply_url_chat", "reply_url", ["chat_key", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_reply_url_chat", table_name="reply_url")
    op.drop_table("reply_url")
