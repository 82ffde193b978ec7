"""/console/tickets/{number}: one ticket with everything known about it, and its actions as POST forms."""

from __future__ import annotations

import logging
import uuid

from aiohttp import web
from aiohttp_session import get_session
from sqlmodel import Session, col, select

from bot.console.access import Refused, audit, may_view, rule_context
from bot.console.actions import ACTIONS
from bot.console.site import CONSOLE_CONFIG, db, render, staff
from handlers.errors import NotFound
from handlers.messages import InboundMessage
from handlers.texts_console import place_words
from storage import org
from storage.models import Member, Ticket
from storage.tickets import events, followers
from storage.types import utcnow

log = logging.getLogger("gridbot.console")


def _load(s: Session, number: int, userid: str) -> Ticket:
    t = s.get(Ticket, number)
    if t is None:
        raise NotFound(f"no ticket {number}", f"没有工单 #{number}。")
    why = may_view(s, userid, t)
    if why is not None:
        raise Refused(why, action="view", target=f"ticket:{number}")
    return t


async def detail(request: web.Request) -> web.Response:
    who = staff(request)
    number = int(request.match_info["number"])
    map_url = request.app[CONSOLE_CONFIG].console.map_url

    def work(s: Session) -> dict:
        t = _load(s, number, who.userid)
        member = s.get(Member, who.userid)
        ctx = rule_context(s, member)
        actions = [a for a in ACTIONS.values() if a.possible(t) and a.permission().deny(ctx, t) is None]
        fs = followers(s, t.id)
        names = {m.userid: m.name for m in s.exec(select(Member).where(
            col(Member.userid).in_([f.userid for f in fs] + [t.assignee or "", t.reporter_id]))).all()}
        dups = list(s.exec(select(Ticket).where(Ticket.duplicate_of == t.id).order_by(col(Ticket.id))).all())
        grid = org.grid(s, t.grid_id)
        return {"t": t, "events": events(s, t.id), "followers": fs, "names": names, "duplicates": dups,
                "actions": actions, "where": org.describe(s, grid) if grid else t.grid_id,
                "place": place_words(t.location),
                "map": map_url.format(q=_quote(_map_query(s, grid, place_words(t.location) or t.text[:30]))),
                "attachments": _attachments(s, t.id)}

    return await render(request, "ticket.html", await db(request)(work))


def _map_query(s: Session, grid, place: str) -> str:
    """The place with its community's name: "鹊华理想社区 3号楼2单元"."""
    from storage.models import Community

    community = s.get(Community, grid.community_id) if grid is not None else None
    return f"{community.name} {place}" if community else place


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


def _attachments(s: Session, ticket_id: int) -> list:
    """A ticket's attachments once storage has them (issue 13); none before."""
    try:
        from storage import blobs  # type: ignore[attr-defined]
    except ImportError:
        return []
    lister = getattr(blobs, "for_ticket", None)
    return list(lister(s, ticket_id)) if lister else []


async def act(request: web.Request) -> web.Response:
    """POST /console/tickets/{number}/{action}: the chat command, sent as the staff member."""
    from bot.app import PIPELINE

    who = staff(request)
    number = int(request.match_info["number"])
    action = ACTIONS.get(request.match_info["action"])
    if action is None:
        raise web.HTTPNotFound(text="没有这个操作。")
    form = await request.post()
    value = str(form.get(action.field.name, "")).strip() if action.field else ""
    session = await get_session(request)
    if action.field and action.field.required and not value:
        session["flash"] = f"请填写「{action.field.label}」。"
        raise web.HTTPSeeOther(f"/console/tickets/{number}")

    def check(s: Session) -> int:
        t = _load(s, number, who.userid)
        ctx = rule_context(s, s.get(Member, who.userid))
        why = action.permission().deny(ctx, t)
        if why is not None:
            raise Refused(why, action=action.slug, target=f"ticket:{number}")
        return t.version

    before = await db(request)(check)
    text = action.command_text(number, value)
    msg = InboundMessage(channel="console", msg_id=f"console-{uuid.uuid4().hex}", sender_id=who.userid,
                         text=text, sent_at=utcnow(), sender_name=who.name)
    reply = await request.config_dict[PIPELINE].submit(msg)

    def record(s: Session) -> None:
        t = s.get(Ticket, number)
        changed = t is not None and t.version != before
        audit(s, who.userid, action.slug, f"ticket:{number}", "ok" if changed else "refused",
              f"{text} → {reply.text or ''}", request.remote)

    await db(request)(record, commit=True)
    session["flash"] = reply.text or "已提交。"
    raise web.HTTPSeeOther(f"/console/tickets/{number}")


def routes(app: web.Application) -> None:
    app.router.add_get(r"/tickets/{number:\d{1,9}}", detail, name="ticket")
    app.router.add_post(r"/tickets/{number:\d{1,9}}/{action:[a-z_]+}", act)
