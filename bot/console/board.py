"""/console/tickets: the board, filtered and searched on the server, one page at a time."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from aiohttp import web
from sqlmodel import Session, select

from bot.console.access import Refused, Staff
from bot.console.site import CONSOLE_CONFIG, db, render, staff
from handlers import texts
from handlers.settings import TZ
from storage import board as board_store
from storage.models import Community, Grid, Street
from storage.types import utcnow

FILTER_KEYS = ("street", "community", "grid", "category", "status", "urgent", "overdue", "supervised", "handler",
               "from", "to", "q", "sort", "dir")


class BadFilter(ValueError):
    pass


def _day(value: str, key: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(0), TZ)
    except ValueError:
        raise BadFilter(f"{key}: 日期格式应为 2026-12-01") from None


def parse_filter(query) -> board_store.BoardFilter:
    """The board's filter from the query string; a bad value is a clear error, not a silent default."""
    category = query.get("category", "")
    if category and category not in texts.CATEGORY_NAMES:
        raise BadFilter(f"没有类别 {category}")
    status = query.get("status", "")
    if status and status != "active" and status not in texts.STATUS_NAMES:
        raise BadFilter(f"没有状态 {status}")
    sort = query.get("sort", "created")
    if sort not in board_store.SORTS:
        raise BadFilter(f"不能按 {sort} 排序")
    to = _day(query.get("to", ""), "to")
    return board_store.BoardFilter(
        street=query.get("street", ""), community=query.get("community", ""), grid=query.get("grid", ""),
        category=category, status=status, urgent=query.get("urgent") == "1", overdue=query.get("overdue") == "1",
        supervised=query.get("supervised") == "1",
        handler=query.get("handler", "").strip(), date_from=_day(query.get("from", ""), "from"),
        date_to=to + timedelta(days=1) if to else None, q=query.get("q", "").strip()[:100], sort=sort,
        desc=query.get("dir", "desc") != "asc")


def check_scope(session: Session, who: Staff, f: board_store.BoardFilter) -> None:
    """A street / community / grid filter outside one's scope is refused, never answered with other data."""
    if who.grids is None:
        return
    if f.grid:
        wanted = {f.grid}
    elif f.community:
        wanted = set(session.exec(select(Grid.id).where(Grid.community_id == f.community)).all()) or {f.community}
    elif f.street:
        wanted = set(session.exec(select(Grid.id).join(Community, Grid.community_id == Community.id)
                                  .where(Community.street_id == f.street)).all()) or {f.street}
    else:
        return
    if not wanted <= who.grids:
        where = f.grid or f.community or f.street
        raise Refused(f"{where} 不在您负责的范围内。", action="board", target=where)


def places(session: Session, who: Staff) -> dict:
    """The streets, communities and grids one may filter by."""
    grids = [g for g in session.exec(select(Grid).order_by(Grid.id)).all()
             if who.grids is None or g.id in who.grids]
    cids = {g.community_id for g in grids}
    communities = [c for c in session.exec(select(Community).order_by(Community.id)).all() if c.id in cids]
    sids = {c.street_id for c in communities}
    streets = [s for s in session.exec(select(Street).order_by(Street.id)).all() if s.id in sids]
    return {"streets": streets, "communities": communities, "grids": grids}


async def board(request: web.Request) -> web.Response:
    who = staff(request)
    size = request.app[CONSOLE_CONFIG].console.page_size
    try:
        f = parse_filter(request.query)
        number = max(int(request.query.get("page", "1") or 1), 1)
    except (BadFilter, ValueError) as e:
        return await render(request, "refused.html", {"reason": f"筛选条件有误：{e}"}, status=400)
    now = utcnow()

    def work(s: Session):
        check_scope(s, who, f)
        rows, total = board_store.page(s, f, who.access, now=now, number=number, size=size)
        return rows, total, places(s, who), board_store.handlers_in(s, who.grids)

    rows, total, where, handlers = await db(request)(work)
    kept = {k: v for k, v in request.query.items() if k in FILTER_KEYS and v}
    pages = max((total + size - 1) // size, 1)
    return await render(request, "board.html", {
        "rows": rows, "total": total, "page": number, "pages": pages, "f": asdict(f), "query": kept,
        "now": now, "qs": lambda **kw: "?" + urlencode({**kept, **{k: v for k, v in kw.items() if v != ""}}),
        "export_qs": urlencode(kept), "handlers": handlers, **where,
    })


def routes(app: web.Application) -> None:
    app.router.add_get("/tickets", board, name="board")
