"""the closed loop: two clocks, pause, supervision, rating window, helpers, audited changes

Revision ID: 0004_i11
Revises: 0003
Create Date: 2026-12-03 17:10:00

Ticket history becomes append-only in the database itself: triggers refuse UPDATE and DELETE on ticket_event.
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0004_i11"
down_revision = "0003"
branch_labels = None
depends_on = None

_TS = ("respond_due_at", "responded_at", "paused_at", "rating_due_at")


def upgrade() -> None:
    with op.batch_alter_table("ticket") as b:
        for name in _TS:
            b.add_column(sa.Column(name, UTCDateTime(), nullable=True))
        b.add_column(sa.Column("respond_working", sa.Boolean(), nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("resolve_working", sa.Boolean(), nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("supervised", sa.Boolean(), nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("reopen_count", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("rating_score", sa.Integer(), nullable=True))
    with op.batch_alter_table("ticket") as b:  # the defaults were for existing rows; the models give their own
        for name in ("respond_working", "resolve_working", "supervised", "reopen_count"):
            b.alter_column(name, server_default=None)
    op.add_column("ticket_event", sa.Column("changes", sa.JSON(), nullable=True))
    op.create_table(
        "ticket_helper",
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), primary_key=True),
        sa.Column("userid", sa.String(length=100), primary_key=True),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION ticket_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
                   " BEGIN RAISE EXCEPTION 'ticket_event is append-only'; END $$")
        op.execute("CREATE TRIGGER ticket_event_append_only BEFORE UPDATE OR DELETE ON ticket_event"
                   " FOR EACH ROW EXECUTE FUNCTION ticket_event_append_only()")
    else:
        for what in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER ticket_event_no_{what.lower()} BEFORE {what} ON ticket_event"
                       " BEGIN SELECT RAISE(ABORT, 'ticket_event is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ticket_event_append_only ON ticket_event")
        op.execute("DROP FUNCTION ticket_event_append_only()")
    else:
        for what in ("update", "delete"):
            op.execute(f"DROP TRIGGER ticket_event_no_{what}")
    op.drop_table("ticket_helper")
    with op.batch_alter_table("ticket_event") as b:
        b.drop_column("changes")
    with op.batch_alter_table("ticket") as b:
        for name in ("rating_score", "reopen_count", "supervised", "resolve_working", "respond_working", *_TS):
            b.drop_column(name)
