"""Queries on tickets and their history."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import Ticket, TicketEvent, TicketFollower

OPEN_STATUSES = ("open", "accepted", "in_progress", "in_mediation", "escalated", "reopened")


def open_duplicate(
    session: Session, grid_id: str, category: str, location: str, since: datetime
) -> Ticket | None:
    """An open ticket in the same grid, category and place created since ``since``: a new report joins it."""
    if not location:
        return None
    stmt = (
        select(Ticket)
        .where(
            Ticket.grid_id == grid_id,
            Ticket.category == category,
            Ticket.location == location,
            col(Ticket.status).in_(OPEN_STATUSES),
            Ticket.created_at >= since,
        )
        .order_by(col(Ticket.id).desc())
    )
    return session.exec(stmt).first()


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


def follow(session: Session, ticket_id: int, userid: str, channel: str, chat_id: str | None) -> bool:
    """Add a follower; False when they already follow it."""
    if session.get(TicketFollower, (ticket_id, userid)) is not None:
        return False
    session.add(TicketFollower(ticket_id=ticket_id, userid=userid, channel=channel, chat_id=chat_id))
    return True


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
