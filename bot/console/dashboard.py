"""/console/dashboard: the three rates and the period's figures as ECharts charts (vendored, no network)."""

from __future__ import annotations

import json
from datetime import timedelta

from aiohttp import web
from sqlmodel import Session

from bot.console.access import Refused, Staff
from bot.console.site import db, render, staff
from handlers import texts
from storage import dashboard as figures
from storage import stats
from storage.models import Member
from storage.stats import Scope
from storage.types import utcnow

PERIODS = {"7": 7, "30": 30, "90": 90}


def _scopes(s: Session, who: Staff, wanted: str) -> list[Scope]:
    if wanted:
        try:
            scope = Scope.parse(wanted)
        except ValueError:
            raise Refused(f"统计范围 {wanted} 无效。", action="dashboard", target=wanted) from None
        grids = set(s.execute(stats.grid_ids(scope)).scalars().all())
        if who.grids is not None and not (grids and grids <= who.grids):
            raise Refused(f"{wanted} 不在您负责的范围内。", action="dashboard", target=wanted)
        return [scope]
    return figures.scopes_for(s, who.grids, community=who.community_id, street=who.street_id, role=who.role)


def data(s: Session, who: Staff, wanted: str, days: int) -> dict:
    now = utcnow()
    start = now - timedelta(days=days)
    scopes = _scopes(s, who, wanted)
    r = figures.rates(s, scopes, start, now, now)
    return {
        "scope": "、".join(figures.scope_label(s, sc) for sc in scopes) or "（无）",
        "rates": {"response": r.response, "resolution": r.resolution, "satisfaction": r.satisfaction},
        "summary": {"new": r.summary.new, "resolved": r.summary.resolved, "open_now": r.summary.open_now,
                    "overdue": r.summary.overdue, "rated": r.rated, "responded": r.responded,
                    "due_to_respond": r.due_to_respond, "due_to_resolve": r.due_to_resolve,
                    "resolved_of_due": r.resolved, "satisfied": r.satisfied, "new_resolved": r.summary.new_resolved},
        "daily": figures.daily(s, scopes, start, now, now),
        "category": [(texts.CATEGORY_NAMES.get(c, c), n) for c, n in figures.by_category(s, scopes, start, now)],
        "grid": figures.by_owner(s, scopes, start, now, now, "grid"),
        "worker": [(_name(s, w), *rest) for w, *rest in figures.by_owner(s, scopes, start, now, now, "worker")],
    }


def _name(s: Session, userid: str) -> str:
    m = s.get(Member, userid)
    return f"{m.name}（{userid}）" if m is not None else userid


async def dashboard(request: web.Request) -> web.Response:
    who = staff(request)
    days = PERIODS.get(request.query.get("days", "30"), 30)
    wanted = request.query.get("scope", "")
    d = await db(request)(lambda s: data(s, who, wanted, days))
    return await render(request, "dashboard.html", {"d": d, "days": days, "wanted": wanted,
                                                    "json": json.dumps(d, ensure_ascii=False).replace("<", "\\u003c")})


async def dashboard_json(request: web.Request) -> web.Response:
    who = staff(request)
    days = PERIODS.get(request.query.get("days", "30"), 30)
    d = await db(request)(lambda s: data(s, who, request.query.get("scope", ""), days))
    return web.json_response(d, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def routes(app: web.Application) -> None:
    app.router.add_get("/dashboard", dashboard)
    app.router.add_get("/dashboard.json", dashboard_json)
