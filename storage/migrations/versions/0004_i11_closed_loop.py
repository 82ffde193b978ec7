"""the closed loop: two clocks, pause, supervision, rating window, helpers, audited changes

Revision ID: 0004_i11
Revises: 0004_i13
Create Date: 2026-12-03 17:10:00

Ticket history becomes append-only in the database itself: triggers refuse DELETE on ticket_event, and every
UPDATE but retention's masking of a closed ticket's events.
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0004_i11"
down_revision = "0004_i13"
branch_labels = None
depends_on = None

_TS = ("respond_due_at", "responded_at", "paused_at", "rating_due_at")
# The history is append-only. The one edit ever allowed is retention's (storage/retention.py) on a closed
# ticket's events: masking personal data in the text and replacing a resident's id by "anonymised".
ANON = "anonymised"
_FROZEN = ("id", "ticket_id", "at", "kind", "old_status", "new_status", "public", "changes")
_PG_FROZEN = " OR ".join(f"NEW.{c}{'::text' if c == 'changes' else ''} IS DISTINCT FROM OLD.{c}"
                         f"{'::text' if c == 'changes' else ''}" for c in _FROZEN)


def upgrade() -> None:
    with op.batch_alter_table("ticket") as b:
        for name in _TS:
            b.add_column(sa.Column(name, UTCDateTime(), nullable=True))
        b.add_column(sa.Column("respond_working", sa.Boolean(), nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("resolve_working", sa.Boolean(), nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("supervised", sa.Boolean(), nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("reopen_count", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("rating_score", sa.Integer(), nullable=True))
    # the server defaults stay: existing rows, and writers that name only the older columns, get false / 0
    op.add_column("ticket_event", sa.Column("changes", sa.JSON(), nullable=True))
    op.create_table(
        "ticket_helper",
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), primary_key=True),
        sa.Column("userid", sa.String(length=100), primary_key=True),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""CREATE FUNCTION ticket_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR {_PG_FROZEN}
     OR (NEW.actor IS DISTINCT FROM OLD.actor AND NEW.actor <> '{ANON}')
     OR (SELECT status FROM ticket WHERE id = OLD.ticket_id) IS DISTINCT FROM 'closed' THEN
    RAISE EXCEPTION 'ticket_event is append-only';
  END IF;
  RETURN NEW;
END $$""")
        op.execute("CREATE TRIGGER ticket_event_append_only BEFORE UPDATE OR DELETE ON ticket_event"
                   " FOR EACH ROW EXECUTE FUNCTION ticket_event_append_only()")
    else:
        refuse = "BEGIN SELECT RAISE(ABORT, 'ticket_event is append-only'); END"
        op.execute(f"CREATE TRIGGER ticket_event_no_delete BEFORE DELETE ON ticket_event {refuse}")
        op.execute(f"CREATE TRIGGER ticket_event_no_update BEFORE UPDATE OF {', '.join(_FROZEN)} ON ticket_event"
                   f" {refuse}")
        op.execute(f"CREATE TRIGGER ticket_event_no_actor BEFORE UPDATE OF actor ON ticket_event"
                   f" WHEN NEW.actor <> '{ANON}' {refuse}")
        op.execute("CREATE TRIGGER ticket_event_only_closed BEFORE UPDATE OF text, actor ON ticket_event"
                   f" WHEN (SELECT status FROM ticket WHERE id = OLD.ticket_id) IS NOT 'closed' {refuse}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ticket_event_append_only ON ticket_event")
        op.execute("DROP FUNCTION ticket_event_append_only()")
    else:
        for name in ("no_delete", "no_update", "no_actor", "only_closed"):
            op.execute(f"DROP TRIGGER ticket_event_{name}")
    op.drop_table("ticket_helper")
    with op.batch_alter_table("ticket_event") as b:
        b.drop_column("changes")
    with op.batch_alter_table("ticket") as b:
        for name in ("rating_score", "reopen_count", "supervised", "resolve_working", "respond_working", *_TS):
            b.drop_column(name)
