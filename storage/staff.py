"""Queries behind the staff commands: whose scope holds which grids, who to hand a ticket to, work lists."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import case, or_
from sqlmodel import Session, col, func, select

from storage.models import Community, Grid, Member, Ticket
from storage.tickets import OPEN_STATUSES

STAFF_ROLES = ("grid_worker", "mediator", "department", "secretary", "admin")


def grids_of_community(session: Session, community_id: str) -> set[str]:
    return set(session.exec(select(Grid.id).where(Grid.community_id == community_id)).all())


def grids_of_street(session: Session, street_id: str) -> set[str]:
    stmt = select(Grid.id).join(Community, col(Community.id) == col(Grid.community_id)).where(
        Community.street_id == street_id)
    return set(session.exec(stmt).all())


def all_grids(session: Session) -> list[Grid]:
    return list(session.exec(select(Grid).order_by(Grid.id)).all())


def secretaries_of_community(session: Session, community_id: str) -> list[Member]:
    stmt = select(Member).where(Member.role == "secretary", Member.community_id == community_id)
    return list(session.exec(stmt.order_by(Member.userid)).all())


def secretaries_of_street(session: Session, street_id: str) -> list[Member]:
    """Street-level secretaries (no community of their own); the street's admins when there are none."""
    for role in ("secretary", "admin"):
        stmt = select(Member).where(Member.role == role, Member.street_id == street_id,
                                    col(Member.community_id).is_(None))
        found = list(session.exec(stmt.order_by(Member.userid)).all())
        if found:
            return found
    return []


def departments(session: Session) -> list[str]:
    stmt = select(Member.department).where(Member.role == "department", col(Member.department).is_not(None))
    return sorted({d for d in session.exec(stmt.distinct()).all() if d})


def department_members(session: Session, department: str) -> list[Member]:
    stmt = select(Member).where(Member.role == "department", Member.department == department)
    return list(session.exec(stmt.order_by(Member.userid)).all())


def find_members(session: Session, key: str) -> list[Member]:
    """Members whose userid or name is exactly ``key``."""
    by_id = session.get(Member, key)
    if by_id is not None:
        return [by_id]
    return list(session.exec(select(Member).where(Member.name == key).order_by(Member.userid)).all())


def open_tickets_in(
    session: Session,
    *,
    grid_ids: Collection[str] | None,
    department: str | None = None,
    assignee: str | None = None,
    now: datetime,
    limit: int = 20,
) -> tuple[list[Ticket], int]:
    """Open tickets of the grids (None: every grid), a department's, or assigned to one person.

    Ordered overdue first, then by deadline; returns the first ``limit`` and how many more there are.
    """
    where = [col(Ticket.status).in_(OPEN_STATUSES)]
    if grid_ids is not None:  # None: every grid
        owners = [col(Ticket.grid_id).in_(list(grid_ids))] if grid_ids else []
        if department:
            owners.append(Ticket.department == department)
        if assignee:
            owners.append(Ticket.assignee == assignee)
        if not owners:
            return [], 0
        where.append(or_(*owners))
    overdue = case((col(Ticket.due_at) < now, 0), else_=1)
    stmt = select(Ticket).where(*where).order_by(overdue, col(Ticket.due_at), col(Ticket.id)).limit(limit)
    rows = list(session.exec(stmt).all())
    total = session.exec(select(func.count()).select_from(Ticket).where(*where)).one()
    return rows, max(0, total - len(rows))
