"""Queries on tickets and their history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.fastpath import Writer, any_of
from storage.models import Ticket, TicketEvent, TicketFollower
from storage.types import utcnow

OPEN_STATUSES = ("open", "accepted", "in_progress", "in_mediation", "escalated", "reopened", "paused")


_T = Ticket.__table__
_F = TicketFollower.__table__
_INSERT_TICKETS = insert(_T).returning(_T.c.id, sort_by_parameter_order=True)

DuplicateKey = tuple[str, str, str]  # (grid id, category, location key)


def open_duplicates(session: Session, keys: set[DuplicateKey], since: datetime) -> dict[DuplicateKey, tuple[int, str]]:
    """For each (grid, category, place), the newest open ticket created since ``since``: (number, status).

    One query for a whole batch of new requests; a report of the same problem joins that ticket."""
    keys = sorted(k for k in keys if k[2])
    if not keys:
        return {}
    w = Writer(session.connection())
    # OR of equalities rather than a tuple IN: SQLite then searches ix_ticket_duplicate once per place
    # instead of scanning every open ticket of the grid.
    rows = w.query(
        "SELECT id, grid_id, category, location, status FROM ticket"
        f" WHERE ({any_of('grid_id = ? AND category = ? AND location = ? AND created_at >= ?', len(keys))})"
        f" AND status IN ({', '.join('?' * len(OPEN_STATUSES))}) ORDER BY id",
        [*(v for g, c, loc in keys for v in (g, c, loc, w.ts(since))), *OPEN_STATUSES])
    return {(g, c, loc): (number, status) for number, g, c, loc, status in rows}  # newest wins


def insert_tickets(session: Session, rows: list[dict]) -> list[int]:
    """Insert tickets in one statement; their numbers, in the order given."""
    if not rows:
        return []
    conn = session.connection()
    if len(rows) == 1:
        return [conn.execute(_INSERT_TICKETS.values(**rows[0])).scalar_one()]
    return list(conn.execute(_INSERT_TICKETS, rows).scalars())


def already_following(session: Session, pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of the (ticket, userid) pairs are followers already."""
    if not pairs:
        return set()
    rows = Writer(session.connection()).query(
        f"SELECT ticket_id, userid FROM ticket_follower WHERE {any_of('ticket_id = ? AND userid = ?', len(pairs))}",
        [v for pair in sorted(pairs) for v in pair])
    return {(t, u) for t, u in rows}


def add_followers(session: Session, rows: list[dict]) -> None:
    """Insert followers (dicts with ticket_id, userid, channel, chat_id, at), ignoring any a concurrent
    process added a moment ago."""
    w = Writer(session.connection())
    w.many("INSERT INTO ticket_follower (ticket_id, userid, channel, chat_id, at) VALUES (?, ?, ?, ?, ?)"
           " ON CONFLICT (ticket_id, userid) DO NOTHING",
           [(r["ticket_id"], r["userid"], r["channel"], r["chat_id"], w.ts(r["at"])) for r in rows])


def add_events(session: Session, rows: list[dict]) -> None:
    """Append to tickets' histories in one executemany (dicts with every TicketEvent column but id)."""
    w = Writer(session.connection())
    w.many("INSERT INTO ticket_event (ticket_id, at, actor, kind, old_status, new_status, text, public, changes)"
           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
           [(r["ticket_id"], w.ts(r["at"]), r["actor"], r["kind"], r["old_status"], r["new_status"], r["text"],
             r["public"], w.json(r["changes"]) if r.get("changes") else None) for r in rows])


def latest_event(session: Session, ticket_id: int, *, public_only: bool = True) -> TicketEvent | None:
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
    if public_only:
        stmt = stmt.where(TicketEvent.public == True)  # noqa: E712
    return session.exec(stmt.order_by(col(TicketEvent.id).desc())).first()


def events(session: Session, ticket_id: int) -> list[TicketEvent]:
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(col(TicketEvent.id))
    return list(session.exec(stmt).all())


def open_tickets_of(session: Session, userid: str, limit: int = 10) -> list[Ticket]:
    """Tickets the person reported or follows that are not done: open ones, and resolved ones waiting for
    the rating."""
    followed = select(TicketFollower.ticket_id).where(TicketFollower.userid == userid)
    stmt = (
        select(Ticket)
        .where(col(Ticket.id).in_(followed), col(Ticket.status).in_((*OPEN_STATUSES, "resolved")))
        .order_by(col(Ticket.id).desc())
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def awaiting_rating(session: Session, reporter_id: str, limit: int = 5) -> list[int]:
    """Numbers of the resolved tickets this person reported that wait for their rating, oldest first."""
    stmt = (select(Ticket.id).where(Ticket.reporter_id == reporter_id, Ticket.status == "resolved")
            .order_by(col(Ticket.id)).limit(limit))
    return list(session.exec(stmt).all())


def follow(session: Session, ticket_id: int, userid: str, channel: str, chat_id: str | None,
           at: datetime | None = None) -> bool:
    """Add a follower; False when they already follow it."""
    session.flush()  # followers added as ORM objects earlier in this transaction count too
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(TicketFollower.__table__)
    inserted = session.connection().execute(
        ins.on_conflict_do_nothing(index_elements=["ticket_id", "userid"]).returning(_F.c.ticket_id),
        {"ticket_id": ticket_id, "userid": userid, "channel": channel, "chat_id": chat_id, "at": at or utcnow()},
    ).first()
    return inserted is not None  # RETURNING, not rowcount: psycopg reports -1 for this statement


def followers(session: Session, ticket_id: int) -> list[TicketFollower]:
    return list(session.exec(select(TicketFollower).where(TicketFollower.ticket_id == ticket_id)).all())


def list_tickets(session: Session, *, status: str | None = None, grid_id: str | None = None,
                 limit: int = 200) -> list[Ticket]:
    stmt = select(Ticket)
    if status:
        stmt = stmt.where(Ticket.status == status)
    if grid_id:
        stmt = stmt.where(Ticket.grid_id == grid_id)
    return list(session.exec(stmt.order_by(col(Ticket.id).desc()).limit(limit)).all())


def is_follower(session: Session, ticket_id: int, userid: str) -> bool:
    return session.get(TicketFollower, (ticket_id, userid)) is not None
