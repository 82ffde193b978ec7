"""Queries on tickets and their history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import Ticket, TicketEvent, TicketFollower
from storage.types import utcnow

OPEN_STATUSES = ("open", "accepted", "in_progress", "in_mediation", "escalated", "reopened")


_T = Ticket.__table__
_DUPLICATE = (
    select(_T.c.id, _T.c.category, _T.c.status)
    .where(
        _T.c.grid_id == bindparam("grid_id"),
        _T.c.category == bindparam("category"),
        _T.c.location == bindparam("location"),
        _T.c.status.in_(OPEN_STATUSES),
        _T.c.created_at >= bindparam("since"),
    )
    .order_by(_T.c.id.desc())
    .limit(1)
)
_INSERT_TICKET = insert(_T).returning(_T.c.id)
_INSERT_EVENT = insert(TicketEvent.__table__)
_INSERT_FOLLOWER = insert(TicketFollower.__table__)


def open_duplicate(
    session: Session, grid_id: str, category: str, location: str, since: datetime
) -> tuple[int, str, str] | None:
    """(number, category, status) of an open ticket in the same grid, category and place created since
    ``since``: a new report of the same problem joins it."""
    if not location:
        return None
    row = session.connection().execute(_DUPLICATE, {
        "grid_id": grid_id, "category": category, "location": location, "since": since}).first()
    return (row[0], row[1], row[2]) if row else None


def insert_ticket(session: Session, values: dict, *, actor: str, channel: str, chat_id: str | None) -> int:
    """A new ticket with its reporter as first follower and its "opened" event; returns its number.

    Core statements, not ORM objects: this runs for most webhook requests."""
    conn = session.connection()
    number = conn.execute(_INSERT_TICKET, values).scalar_one()
    at = values["created_at"]
    conn.execute(_INSERT_FOLLOWER, {"ticket_id": number, "userid": actor, "channel": channel,
                                    "chat_id": chat_id, "at": at})
    conn.execute(_INSERT_EVENT, {"ticket_id": number, "at": at, "actor": actor, "kind": "opened",
                                 "old_status": None, "new_status": values["status"], "text": values["text"],
                                 "public": True})
    return number


def latest_event(session: Session, ticket_id: int, *, public_only: bool = True) -> TicketEvent | None:
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
    if public_only:
        stmt = stmt.where(TicketEvent.public == True)  # noqa: E712
    return session.exec(stmt.order_by(col(TicketEvent.id).desc())).first()


def events(session: Session, ticket_id: int) -> list[TicketEvent]:
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(col(TicketEvent.id))
    return list(session.exec(stmt).all())


def open_tickets_of(session: Session, userid: str, limit: int = 10) -> list[Ticket]:
    """Open tickets the person reported or follows."""
    followed = select(TicketFollower.ticket_id).where(TicketFollower.userid == userid)
    stmt = (
        select(Ticket)
        .where(col(Ticket.id).in_(followed), col(Ticket.status).in_(OPEN_STATUSES))
        .order_by(col(Ticket.id).desc())
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def follow(session: Session, ticket_id: int, userid: str, channel: str, chat_id: str | None,
           at: datetime | None = None) -> bool:
    """Add a follower; False when they already follow it."""
    session.flush()  # followers added as ORM objects earlier in this transaction count too
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(TicketFollower.__table__)
    result = session.connection().execute(
        ins.on_conflict_do_nothing(index_elements=["ticket_id", "userid"]),
        {"ticket_id": ticket_id, "userid": userid, "channel": channel, "chat_id": chat_id, "at": at or utcnow()},
    )
    return result.rowcount == 1


def add_event(session: Session, ticket_id: int, *, actor: str, kind: str, old_status: str | None,
              new_status: str | None, text: str | None, at: datetime, public: bool = True) -> None:
    """Append to a ticket's history with a Core insert (the hot path's version of adding a TicketEvent)."""
    session.connection().execute(_INSERT_EVENT, {
        "ticket_id": ticket_id, "at": at, "actor": actor, "kind": kind, "old_status": old_status,
        "new_status": new_status, "text": text, "public": public})


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
