"""The console's ticket board: filters, full-text search, sorting and paging, all done by the database.

Search (``q``) matches every whitespace-separated term as a substring of the text or the place (``LIKE`` /
``ILIKE``): Chinese has no spaces between words, so a substring is the honest unit. Both backends scan the
scope's tickets for it (no trigram index: pg_trgm extracts no trigrams from CJK text in a C-locale database);
bench/bench_board.py measures it on 100,000 tickets.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlmodel import Session, col

from storage.models import Community, Grid, Ticket
from storage.tickets import OPEN_STATUSES

SORTS = {
    "number": Ticket.id, "created": Ticket.created_at, "due": Ticket.due_at, "updated": Ticket.updated_at,
    "category": Ticket.category, "status": Ticket.status, "grid": Ticket.grid_id,
}


@dataclass(frozen=True, slots=True)
class Access:
    """Whose tickets a person sees: their grids (None: every grid), their department's, those assigned to them."""

    grids: frozenset[str] | None
    department: str | None = None
    actor: str | None = None

    def clause(self) -> ColumnElement[bool] | None:
        if self.grids is None:
            return None
        owners = [col(Ticket.grid_id).in_(sorted(self.grids))] if self.grids else []
        if self.department:
            owners.append(Ticket.department == self.department)
        if self.actor:
            owners.append(Ticket.assignee == self.actor)
        return or_(*owners) if owners else false()


@dataclass(frozen=True, slots=True)
class BoardFilter:
    street: str = ""
    community: str = ""
    grid: str = ""
    category: str = ""
    status: str = ""  # a status code, or "open" for every open status ("active")
    urgent: bool = False
    overdue: bool = False
    supervised: bool = False  # 督办
    handler: str = ""  # assignee userid or department
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive
    q: str = ""
    sort: str = "created"
    desc: bool = True

    def search_terms(self) -> list[str]:
        return [t for t in self.q.split() if t][:8]


def _like(column, term: str, dialect: str):
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return column.ilike(pattern, escape="\\") if dialect == "postgresql" else column.like(pattern, escape="\\")


def where(f: BoardFilter, access: Access, now: datetime, dialect: str) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    scope = access.clause()
    if scope is not None:
        conds.append(scope)
    if f.grid:
        conds.append(Ticket.grid_id == f.grid)
    elif f.community:
        conds.append(col(Ticket.grid_id).in_(select(Grid.id).where(Grid.community_id == f.community)))
    elif f.street:
        conds.append(col(Ticket.grid_id).in_(
            select(Grid.id).join(Community, col(Grid.community_id) == Community.id)
            .where(Community.street_id == f.street)))
    if f.category:
        conds.append(Ticket.category == f.category)
    if f.status == "active":
        conds.append(col(Ticket.status).in_(OPEN_STATUSES))
    elif f.status:
        conds.append(Ticket.status == f.status)
    if f.urgent:
        conds.append(Ticket.urgent == True)  # noqa: E712
    if f.supervised:
        conds.append(Ticket.supervised == True)  # noqa: E712
    if f.overdue:
        conds.append(and_(col(Ticket.status).in_(OPEN_STATUSES), col(Ticket.due_at) < now))
    if f.handler:
        conds.append(or_(Ticket.assignee == f.handler, Ticket.department == f.handler))
    if f.date_from is not None:
        conds.append(col(Ticket.created_at) >= f.date_from)
    if f.date_to is not None:
        conds.append(col(Ticket.created_at) < f.date_to)
    for term in f.search_terms():
        conds.append(or_(_like(col(Ticket.text), term, dialect), _like(col(Ticket.location), term, dialect)))
    return conds


def query(f: BoardFilter, access: Access, now: datetime, dialect: str) -> Select:
    key = SORTS.get(f.sort, Ticket.created_at)
    order = [col(key).desc() if f.desc else col(key).asc()]
    if key is not Ticket.id:
        order.append(col(Ticket.id).desc() if f.desc else col(Ticket.id).asc())
    return select(Ticket).where(*where(f, access, now, dialect)).order_by(*order)


def page(session: Session, f: BoardFilter, access: Access, *, now: datetime, number: int = 1,
         size: int = 50) -> tuple[list[Ticket], int]:
    """One page of the board (1-based) and the number of tickets matching in all."""
    dialect = session.get_bind().dialect.name
    conds = where(f, access, now, dialect)
    total = session.execute(select(func.count()).select_from(Ticket).where(*conds)).scalar_one()
    stmt = query(f, access, now, dialect).offset(max(number - 1, 0) * size).limit(size)
    return list(session.execute(stmt).scalars().all()), int(total)


def all_rows(session: Session, f: BoardFilter, access: Access, *, now: datetime, limit: int = 100_000):
    """Every ticket matching (for exports), streamed in the board's order."""
    dialect = session.get_bind().dialect.name
    stmt = query(f, access, now, dialect).limit(limit)
    yield from session.execute(stmt).scalars()


def handlers_in(session: Session, grids: Collection[str] | None) -> list[str]:
    """Assignees and departments seen on tickets (for the handler filter)."""
    found: set[str] = set()
    for column in (Ticket.assignee, Ticket.department):
        stmt = select(column).where(col(column).is_not(None))
        if grids is not None:
            stmt = stmt.where(col(Ticket.grid_id).in_(sorted(grids)))
        found |= {a for a in session.execute(stmt.distinct()).scalars().all() if a}
    return sorted(found)
