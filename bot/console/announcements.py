"""/console/announcements: compose, target, schedule and recall announcements, and see each group's delivery —
the announcements of ``handlers.announce`` (the chat's 群发通知 and ``gridbot announce``), nothing of its own.
"""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from aiohttp_session import get_session
from sqlmodel import Session, col, select

from bot.config import _check_cron
from bot.console.access import Refused, Staff, audit
from bot.console.site import db, render, staff
from handlers import announce
from handlers.errors import CommandError
from handlers.settings import TZ
from storage.models import Announcement, Community, Grid, Outbox, Street
from storage.stats import Scope, grid_ids
from storage.types import utcnow


def _writer(request: web.Request) -> Staff:
    who = staff(request)
    if who.role not in ("secretary", "admin"):
        raise Refused("只有书记和管理员可以发布通知。", action="announce", target="announcements")
    return who


def _targets(s: Session, who: Staff) -> list[tuple[str, str]]:
    """(target, label) one may send to."""
    out = []
    for g in s.exec(select(Grid).order_by(Grid.id)).all():
        if who.grids is None or g.id in who.grids:
            out.append((f"grid:{g.id}", f"网格 {g.name}（{g.id}）"))
    for c in s.exec(select(Community).order_by(Community.id)).all():
        gs = set(s.execute(grid_ids(Scope("community", c.id))).scalars().all())
        if who.grids is None or (gs and gs <= who.grids):
            out.append((f"community:{c.id}", f"社区 {c.name} 全部网格群"))
    for st in s.exec(select(Street).order_by(Street.id)).all():
        gs = set(s.execute(grid_ids(Scope("street", st.id))).scalars().all())
        if who.grids is None or (gs and gs <= who.grids):
            out.append((f"street:{st.id}", f"街道 {st.name} 全部网格群"))
    if who.is_admin:
        out += [("role:grid_worker", "全体网格员（私信）"), ("role:secretary", "全体书记（私信）")]
    return out


def deliveries(s: Session, ann_id: int) -> list[dict]:
    rows = s.exec(select(Outbox).where(col(Outbox.dedup_key).like(f"announce:{ann_id}:%"))
                  .order_by(col(Outbox.id))).all()
    return [{"kind": o.target_kind, "target": o.target if o.target_kind != "robot" else o.target[:8] + "…",
             "status": o.status, "attempts": o.attempts, "error": o.last_error, "sent_at": o.sent_at} for o in rows]


async def page(request: web.Request) -> web.Response:
    who = _writer(request)

    def work(s: Session) -> dict:
        anns = list(s.exec(select(Announcement).order_by(col(Announcement.id).desc()).limit(50)).all())
        return {"targets": _targets(s, who), "anns": [(a, deliveries(s, a.id)) for a in anns]}

    return await render(request, "announcements.html", await db(request)(work))


async def create(request: web.Request) -> web.Response:
    who = _writer(request)
    form = await request.post()
    targets = [str(t) for t in form.getall("target", [])]
    text = str(form.get("text", "")).strip()
    at_raw, cron = str(form.get("at", "")).strip(), str(form.get("cron", "")).strip() or None
    session = await get_session(request)
    if not targets or not text:
        session["flash"] = "请选择发送对象并填写通知内容。"
        raise web.HTTPSeeOther("/console/announcements")
    try:
        at = datetime.fromisoformat(at_raw).replace(tzinfo=TZ) if at_raw else None
        if cron:
            _check_cron(cron)
    except ValueError as e:
        session["flash"] = f"时间有误：{e}"
        raise web.HTTPSeeOther("/console/announcements") from None
    now = utcnow()
    if at is not None and at <= now:
        session["flash"] = "定时发送的时间已经过去了。"
        raise web.HTTPSeeOther("/console/announcements")

    def work(s: Session):
        allowed = {t for t, _ in _targets(s, who)}
        bad = [t for t in targets if t not in allowed]
        if bad:
            raise Refused(f"{'、'.join(bad)} 不在您可以发送的范围内。", action="announce", target=",".join(bad))
        ann, n = announce.create(s, targets=targets, text=text, created_by=who.userid, now=now, at=at, cron=cron)
        audit(s, who.userid, "announce", f"announcement:{ann.id}", "ok", f"{','.join(targets)} rows={n}",
              request.remote)
        return ann, n

    try:
        ann, n = await db(request)(work, commit=True)
    except CommandError as e:
        session["flash"] = e.user_text
        raise web.HTTPSeeOther("/console/announcements") from None
    session["flash"] = (f"通知 #{ann.id} 已安排。" if at or cron else f"通知 #{ann.id} 已写入发送队列：{n} 条消息。")
    raise web.HTTPSeeOther("/console/announcements")


async def recall(request: web.Request) -> web.Response:
    who = _writer(request)
    number = int(request.match_info["number"])

    def work(s: Session) -> str:
        ann = s.get(Announcement, number)
        if ann is None:
            return f"没有通知 #{number}。"
        if who.role != "admin" and ann.created_by != who.userid:
            raise Refused(f"通知 #{number} 不是您发布的。", action="recall", target=f"announcement:{number}")
        if ann.status != "scheduled":
            return f"通知 #{number} 已发送，无法撤回。"
        announce.cancel(s, number)
        audit(s, who.userid, "recall", f"announcement:{number}", "ok", None, request.remote)
        return f"通知 #{number} 已撤回，不会再发送。"

    (await get_session(request))["flash"] = await db(request)(work, commit=True)
    raise web.HTTPSeeOther("/console/announcements")


def routes(app: web.Application) -> None:
    app.router.add_get("/announcements", page)
    app.router.add_post("/announcements", create)
    app.router.add_post(r"/announcements/{number:\d{1,9}}/recall", recall)
