"""bridge_link: bridge persons linked to members by the member's own 「绑定」

Revision ID: 0004_i10
Revises: 0004_i15
Create Date: 2026-12-03 17:40:00

The JSON bridge has its own id space; a bridge sender acts as a member only when mapped in config or
linked here by that member.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0004_i10"
down_revision = "0004_i15"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bridge_link",
        sa.Column("bridge_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("userid", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["userid"], ["member.userid"]),
        sa.PrimaryKeyConstraint("bridge_id"),
    )
    op.create_index(op.f("ix_bridge_link_userid"), "bridge_link", ["userid"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_bridge_link_userid"), table_name="bridge_link")
    op.drop_table("bridge_link")
