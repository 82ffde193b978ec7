"""The three rates (响应率, 解决率, 满意率), overdue counts and median times: the one query behind digests,
``gridbot stats`` and the console.

The tickets counted are those **reported in the period** [start, end) in the scope (merged duplicates are not
tickets of their own, and a ticket its reporter withdrew — 撤回: closed without being resolved — asks nothing of
anyone any more), judged as they stand at ``now``:

- 响应率 = responded in time / due to respond. *Due to respond*: the response deadline has passed, or staff
  have responded (first 接单, note, transfer, pause ... by staff). *In time*: that first response at or before
  the response deadline.
- 解决率 = resolved / due to resolve. *Due to resolve*: resolved (办结, closed), or the resolution deadline has
  passed while not paused. *Resolved*: 办结 or closed now (a reopened ticket is not resolved until it is again).
- 满意率 = satisfied / rated. *Rated*: the reporter rated it (or the rating window closed it as 默认满意).
  *Satisfied*: 满意, 基本满意 (scores 3–5) or 默认满意.
- Overdue: *response overdue* = due to respond but not in time; *open overdue* = still being handled, not
  paused, past the resolution deadline.
- Median times, calendar time from the report: to the first response, to 办结.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, literal, or_, select
from sqlmodel import Session, col

from storage.models import Community, Grid, Ticket
from storage.stats import Scope, grid_ids

SATISFIED = ("satisfied", "fair", "default_satisfied")
OPEN = ("open", "accepted", "in_progress", "in_mediation", "escalated", "reopened")  # being handled, not paused
GROUPS = ("grid", "community", "street", "worker")


@dataclass(frozen=True, slots=True)
class Rates:
    key: str | None  # the grid, community, street or worker; None for the whole scope
    reported: int
    due_to_respond: int
    responded_in_time: int
    due_to_resolve: int
    resolved: int
    rated: int
    satisfied: int
    response_overdue: int
    overdue_open: int
    median_response_seconds: float | None
    median_resolution_seconds: float | None

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    @property
    def response_rate(self) -> float | None:
        return self._rate(self.responded_in_time, self.due_to_respond)

    @property
    def resolution_rate(self) -> float | None:
        return self._rate(self.resolved, self.due_to_resolve)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.rated)

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(response_rate=self.response_rate, resolution_rate=self.resolution_rate,
                 satisfaction_rate=self.satisfaction_rate)
        return d


def _n(cond) -> object:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _group_column(by: str):
    if by == "grid":
        return Ticket.grid_id
    if by == "community":
        return Grid.community_id
    if by == "street":
        return Community.street_id
    if by == "worker":
        return Ticket.assignee
    raise ValueError(f"group by {by!r}: one of {', '.join(GROUPS)}")


def rates(session: Session, scope: Scope, start: datetime, end: datetime, now: datetime,
          by: str | None = None) -> list[Rates]:
    """The rates of the scope's tickets reported in [start, end), as a whole (``by`` None: one row) or per
    grid, community, street or worker (the lead handler now), ordered by key."""
    t = Ticket
    key = (_group_column(by) if by else literal("")).label("key")
    withdrawn = and_(t.status == "closed", col(t.resolved_at).is_(None))  # 撤回 before it was finished
    cohort = and_(col(t.grid_id).in_(grid_ids(scope)), col(t.created_at) >= start, col(t.created_at) < end,
                  t.status != "duplicate", ~withdrawn)
    responded = col(t.responded_at).is_not(None)
    due_respond = and_(col(t.respond_due_at).is_not(None), or_(responded, col(t.respond_due_at) <= now))
    in_time = and_(responded, col(t.respond_due_at).is_not(None), col(t.responded_at) <= col(t.respond_due_at))
    resolved = col(t.resolved_at).is_not(None)
    due_resolve = or_(resolved, and_(col(t.due_at) <= now, t.status != "paused"))
    rated = col(t.rating).is_not(None)
    open_late = and_(col(t.status).in_(OPEN), col(t.due_at) < now)
    stmt = (
        select(key, func.count(), _n(due_respond), _n(and_(due_respond, in_time)), _n(due_resolve),
               _n(and_(due_resolve, resolved)), _n(rated), _n(col(t.rating).in_(SATISFIED)),
               _n(and_(due_respond, ~in_time)), _n(open_late))
        .select_from(t)
        .join(Grid, col(t.grid_id) == Grid.id)
        .join(Community, col(Grid.community_id) == Community.id)
        .where(cohort)
    )
    if by:
        stmt = stmt.group_by(key)
    counts = {(row[0] if by else None): [int(v) for v in row[1:]] for row in session.execute(stmt).all()}
    times = (
        select(key, t.created_at, t.responded_at, t.resolved_at)
        .select_from(t)
        .join(Grid, col(t.grid_id) == Grid.id)
        .join(Community, col(Grid.community_id) == Community.id)
        .where(cohort, or_(responded, resolved))
    )
    spans: dict[str | None, tuple[list[float], list[float]]] = {}
    for k, created, resp, res in session.execute(times).all():
        k = k if by else None
        r, s = spans.setdefault(k, ([], []))
        if resp is not None:
            r.append((resp - created).total_seconds())
        if res is not None:
            s.append((res - created).total_seconds())
    if by is None:
        counts = {None: counts.get(None, [0] * 9)}
    out = []
    for k in sorted(counts, key=lambda x: (x is None, x or "")):
        r, s = spans.get(k, ([], []))
        out.append(Rates(k, *counts[k], statistics.median(r) if r else None, statistics.median(s) if s else None))
    return out


def total(session: Session, scope: Scope, start: datetime, end: datetime, now: datetime) -> Rates:
    return rates(session, scope, start, end, now)[0]


def supervised_open(session: Session, scope: Scope, limit: int = 10) -> list[tuple[int, str, str, datetime]]:
    """(number, category, status, deadline) of supervised (督办) tickets still open, earliest deadline first."""
    stmt = (
        select(Ticket.id, Ticket.category, Ticket.status, Ticket.due_at)
        .where(col(Ticket.grid_id).in_(grid_ids(scope)), Ticket.supervised == True,  # noqa: E712
               col(Ticket.status).in_((*OPEN, "paused")))
        .order_by(col(Ticket.due_at), col(Ticket.id))
        .limit(limit)
    )
    return [tuple(r) for r in session.execute(stmt).all()]
