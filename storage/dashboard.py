"""The console dashboard's figures, summed over the viewer's scopes. The counts are ``storage.stats.summary`` (the
query behind the digests); the three rates are ``storage.rates`` (the closed loop's definitions, the query behind
the digests' rates and ``gridbot stats``), turned into the page's figures in one place, ``rates()``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlmodel import Session, col

from storage import rates as loop_rates
from storage import stats
from storage.models import Community, Grid, Street, Ticket
from storage.stats import Scope, Summary
from storage.tickets import OPEN_STATUSES

_TZ = ZoneInfo("Asia/Shanghai")  # people's days (storage never imports handlers.settings)


def scopes_for(session: Session, grids: frozenset[str] | None, *, community: str | None, street: str | None,
               role: str) -> list[Scope]:
    """The scopes that add up to what a person sees (disjoint, so their figures add)."""
    if grids is None:
        return [Scope("street", s) for s in session.exec(select(Street.id).order_by(Street.id)).scalars()]
    if role in ("secretary", "admin") and community:
        return [Scope("community", community)]
    if role in ("secretary", "admin") and street:
        return [Scope("street", street)]
    return [Scope("grid", g) for g in sorted(grids)]


def summary(session: Session, scopes: list[Scope], start: datetime, end: datetime, now: datetime) -> Summary:
    parts = [stats.summary(session, sc, start, end, now) for sc in scopes]
    return Summary(*(sum(getattr(p, f.name) for p in parts) for f in fields(Summary)))


def _in(scopes: list[Scope]):
    return or_(*[col(Ticket.grid_id).in_(stats.grid_ids(sc)) for sc in scopes]) if scopes else False


@dataclass(frozen=True, slots=True)
class Rates:
    response: float | None  # 响应率: responded in time / due to respond
    resolution: float | None  # 解决率: resolved / due to resolve
    satisfaction: float | None  # 满意率: satisfied (满意, 基本满意, 默认满意) / rated
    summary: Summary
    due_to_respond: int
    responded: int  # in time
    due_to_resolve: int
    resolved: int  # of those due
    rated: int
    satisfied: int


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


_COUNTS = ("due_to_respond", "responded_in_time", "due_to_resolve", "resolved", "rated", "satisfied")


def rates(session: Session, scopes: list[Scope], start: datetime, end: datetime, now: datetime) -> Rates:
    s = summary(session, scopes, start, end, now)
    parts = [loop_rates.total(session, sc, start, end, now) for sc in scopes]
    due_r, in_time, due_s, resolved, rated, satisfied = (sum(getattr(p, f) for p in parts) for f in _COUNTS)
    return Rates(_ratio(in_time, due_r), _ratio(resolved, due_s), _ratio(satisfied, rated), s,
                 due_r, in_time, due_s, resolved, rated, satisfied)


def by_category(session: Session, scopes: list[Scope], start: datetime, end: datetime) -> list[tuple[str, int]]:
    """The digests' per-category counts, summed over the scopes."""
    total: dict[str, int] = {}
    for sc in scopes:
        for c, n in stats.by_category(session, sc, start, end):
            total[c] = total.get(c, 0) + n
    return sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))


def _local_day(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column, "+8 hours")  # SQLite stores UTC without a zone


def _n(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def daily(session: Session, scopes: list[Scope], start: datetime, end: datetime,
          now: datetime) -> list[tuple[str, int, int, int]]:
    """(local day, new, resolved, of the new: overdue) per day of the period, every day present."""
    rows: dict[str, list[int]] = {}
    day = start.astimezone(_TZ).date()
    while day <= (end - timedelta(microseconds=1)).astimezone(_TZ).date():
        rows[day.isoformat()] = [0, 0, 0]
        day += timedelta(days=1)
    if scopes:
        counted = and_(_in(scopes), Ticket.status != "duplicate")
        late = or_(and_(col(Ticket.resolved_at).is_(None), col(Ticket.due_at) < now),
                   col(Ticket.resolved_at) > col(Ticket.due_at))
        d = _local_day(session, Ticket.created_at)
        for k, new, over in session.execute(
                select(d, func.count(), _n(late)).where(counted, col(Ticket.created_at) >= start,
                                                         col(Ticket.created_at) < end).group_by(d)).all():
            if k in rows:
                rows[k][0], rows[k][2] = int(new), int(over)
        r = _local_day(session, Ticket.resolved_at)
        for k, n in session.execute(
                select(r, func.count()).where(counted, col(Ticket.resolved_at) >= start,
                                              col(Ticket.resolved_at) < end).group_by(r)).all():
            if k in rows:
                rows[k][1] = int(n)
    return [(k, *v) for k, v in rows.items()]


def by_owner(session: Session, scopes: list[Scope], start: datetime, end: datetime, now: datetime,
             key: str) -> list[tuple[str, int, int, int]]:
    """(grid name or worker, new, resolved, overdue now) for tickets reported in the period."""
    if not scopes:
        return []
    if key == "grid":
        label = Grid.name
        base = select(label).join(Grid, col(Ticket.grid_id) == Grid.id)
    else:
        label = func.coalesce(Ticket.assignee, Ticket.department, "（未接单）")
        base = select(label)
    is_open = col(Ticket.status).in_(OPEN_STATUSES)
    stmt = base.add_columns(func.count(), _n(col(Ticket.status).in_(stats.DONE_STATUSES)),
                            _n(and_(is_open, col(Ticket.due_at) < now))).where(
        _in(scopes), col(Ticket.created_at) >= start, col(Ticket.created_at) < end,
        Ticket.status != "duplicate").group_by(label).order_by(func.count().desc()).limit(30)
    return [(str(a), int(b), int(c), int(d)) for a, b, c, d in session.execute(stmt).all()]


def scope_label(session: Session, scope: Scope) -> str:
    model = {"grid": Grid, "community": Community, "street": Street}[scope.kind]
    row = session.get(model, scope.id)
    return row.name if row else scope.id

