"""Figures for digests, counted by the database (conditional aggregates), never by looping over rows in Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, case, func, select
from sqlmodel import Session, col

from storage.models import Community, Grid, Ticket
from storage.tickets import OPEN_STATUSES

DONE_STATUSES = ("resolved", "closed")
SATISFIED_RATINGS = ("satisfied", "fair")  # 满意, 基本满意 (handlers.texts.RATING_NAMES)


@dataclass(frozen=True, slots=True)
class Scope:
    kind: str  # grid | community | street
    id: str

    @classmethod
    def parse(cls, text: str) -> Scope:
        kind, _, ident = text.partition(":")
        if kind not in ("grid", "community", "street") or not ident:
            raise ValueError(f"{text!r}: expected grid:ID, community:ID or street:ID")
        return cls(kind, ident)

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


def grid_ids(scope: Scope) -> Select:
    """The ids of the grids in ``scope``, as a subquery."""
    if scope.kind == "grid":
        return select(Grid.id).where(Grid.id == scope.id)
    if scope.kind == "community":
        return select(Grid.id).where(Grid.community_id == scope.id)
    return select(Grid.id).join(Community, col(Grid.community_id) == Community.id).where(
        Community.street_id == scope.id)


@dataclass(frozen=True, slots=True)
class Summary:
    new: int  # reported in the period
    new_resolved: int  # ... and resolved or closed by now
    new_open: int  # ... and still being handled
    resolved: int  # resolved in the period, whenever reported
    open_now: int  # being handled now, whenever reported
    overdue: int  # being handled now and past the deadline
    rated: int  # rated among those resolved in the period
    satisfied: int  # ... satisfied or fairly satisfied


def _n(cond) -> object:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def summary(session: Session, scope: Scope, start: datetime, end: datetime, now: datetime) -> Summary:
    """Three aggregates, each over an index range (reported in the period, resolved in the period, open now),
    so the cost follows the period's tickets, not all the tickets the scope ever had."""
    t = Ticket
    grids = col(t.grid_id).in_(grid_ids(scope))
    is_open = col(t.status).in_(OPEN_STATUSES)
    new = session.execute(select(
        func.count(), _n(col(t.status).in_(DONE_STATUSES)), _n(is_open),
    ).where(grids, col(t.created_at) >= start, col(t.created_at) < end,
            t.status != "duplicate")).one()  # a merged report is a follower of another ticket, not a new one
    resolved = session.execute(select(
        func.count(), _n(col(t.rating).is_not(None)), _n(col(t.rating).in_(SATISFIED_RATINGS)),
    ).where(grids, col(t.resolved_at) >= start, col(t.resolved_at) < end)).one()
    current = session.execute(select(func.count(), _n(and_(col(t.due_at) < now, t.status != "paused"))).where(
        grids, is_open)).one()  # a paused ticket's clock stands still
    return Summary(new=int(new[0]), new_resolved=int(new[1]), new_open=int(new[2]), resolved=int(resolved[0]),
                   open_now=int(current[0]), overdue=int(current[1]), rated=int(resolved[1]),
                   satisfied=int(resolved[2]))


def by_category(session: Session, scope: Scope, start: datetime, end: datetime,
                limit: int | None = None) -> list[tuple[str, int]]:
    """Reports per category in the period, most first."""
    n = func.count().label("n")
    stmt = (
        select(Ticket.category, n)
        .where(col(Ticket.grid_id).in_(grid_ids(scope)), col(Ticket.created_at) >= start,
               col(Ticket.created_at) < end, Ticket.status != "duplicate")
        .group_by(Ticket.category)
        .order_by(n.desc(), Ticket.category)
    )
    if limit:
        stmt = stmt.limit(limit)
    return [(c, int(k)) for c, k in session.execute(stmt).all()]


def oldest_open(session: Session, scope: Scope, limit: int) -> list[tuple[int, str, str, datetime, str]]:
    """(number, category, status, reported at, grid name) of the longest-open tickets."""
    if limit <= 0:
        return []
    stmt = (
        select(Ticket.id, Ticket.category, Ticket.status, Ticket.created_at, Grid.name)
        .join(Grid, col(Ticket.grid_id) == Grid.id)
        .where(col(Ticket.grid_id).in_(grid_ids(scope)), col(Ticket.status).in_(OPEN_STATUSES))
        .order_by(col(Ticket.created_at), col(Ticket.id))
        .limit(limit)
    )
    return [tuple(r) for r in session.execute(stmt).all()]
