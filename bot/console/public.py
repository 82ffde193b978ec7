"""/public/{community}: the community's public board (三务公开), for communities that opted in.

Read-only: the month's counts and rates, and the latest tickets by category and status, with the reporter's
name masked, no text (it may name people or carry numbers) and no dispute or legal tickets at all.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from sqlmodel import Session, col, select

from bot.console.site import CONSOLE_CONFIG, db
from storage import dashboard as figures
from storage.models import Community, Grid, Ticket
from storage.stats import Scope, grid_ids
from storage.types import utcnow

HIDDEN_CATEGORIES = ("dispute", "legal")


def mask_name(name: str | None) -> str:
    if not name:
        return "居民"
    return name[0] + "*" * max(len(name) - 1, 1)


async def board(request: web.Request) -> web.Response:
    import aiohttp_jinja2

    cid = request.match_info["community"]
    if cid not in request.app[CONSOLE_CONFIG].console.public_communities:
        raise web.HTTPNotFound(text="该社区没有开放公开栏。")
    now = utcnow()
    start = now - timedelta(days=30)

    def work(s: Session) -> dict | None:
        c = s.get(Community, cid)
        if c is None:
            return None
        scope = Scope("community", cid)
        r = figures.rates(s, [scope], start, now, now)
        grids = {g.id: g.name for g in s.exec(select(Grid).where(Grid.community_id == cid)).all()}
        rows = s.exec(select(Ticket).where(col(Ticket.grid_id).in_(grid_ids(scope)),
                                           col(Ticket.category).not_in(HIDDEN_CATEGORIES),
                                           Ticket.status != "duplicate")
                      .order_by(col(Ticket.id).desc()).limit(50)).all()
        items = [{"id": t.id, "category": t.category, "status": t.status, "created": t.created_at,
                  "grid": grids.get(t.grid_id, ""), "who": mask_name(t.reporter_name)} for t in rows]
        return {"community": c, "r": r, "items": items}

    d = await db(request)(work)
    if d is None:
        raise web.HTTPNotFound(text="没有这个社区。")
    return aiohttp_jinja2.render_template("public.html", request, {**d, "staff": None, "flash": None})


def routes(app: web.Application) -> None:
    app.router.add_get("/{community}", board)
