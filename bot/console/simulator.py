"""/console/simulator: a page that looks like a group chat. A message typed as a member is signed and POSTed
to this server's own ``/bridge/message`` exactly as a real bridged group would; the bot's reply comes back on
that request, and the pushes it writes for the chat (and direct messages to staff) appear from the outbox.
Admins only: it speaks as anyone.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

from aiohttp import web
from sqlmodel import Session, col, or_, select

from bot.channels.bridge import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.console.access import Refused, audit
from bot.console.site import CONSOLE_CONFIG, db, render, staff
from storage.models import GridChat, Member, Outbox


def _admin(request: web.Request):
    who = staff(request)
    if not who.is_admin:
        raise Refused("群聊模拟只对管理员开放。", action="simulator", target="simulator")
    return who


async def page(request: web.Request) -> web.Response:
    _admin(request)

    def work(s: Session) -> dict:
        allowed = set(request.app[CONSOLE_CONFIG].bridge.chat_ids)  # the bridge takes only its listed chats
        chats = [c for c in s.exec(select(GridChat).order_by(GridChat.grid_id, GridChat.chat_id)).all()
                 if c.chat_id in allowed]
        members = list(s.exec(select(Member).order_by(Member.role.desc(), Member.userid)).all())
        last = s.exec(select(Outbox.id).order_by(col(Outbox.id).desc())).first() or 0
        return {"chats": chats, "members": members, "last": last}

    return await render(request, "simulator.html", await db(request)(work))


async def say(request: web.Request) -> web.Response:
    who = _admin(request)
    config = request.app[CONSOLE_CONFIG]
    secret = config.bridge.secret
    if not secret:
        return web.json_response({"error": "未配置 [bridge] secret，无法模拟。"}, status=409)
    try:
        data = await request.json()
        chat_id, sender, text = str(data["chat_id"]), str(data["sender_id"]), str(data["text"]).strip()
    except (ValueError, KeyError, TypeError):
        return web.json_response({"error": "需要 chat_id、sender_id 和 text。"}, status=400)
    if not text:
        return web.json_response({"error": "请输入消息。"}, status=400)

    def lookup(s: Session) -> str | None:
        m = s.get(Member, sender)
        return m.name if m else None

    name = await db(request)(lookup) or sender
    # the bridge has its own id space: a member speaks through the bridge id mapped to them in [bridge] members
    # (unmapped, the message comes from a bridge resident of that id, exactly as a real bridged group's would)
    alias = {member: bridge_id for bridge_id, member in config.bridge.members.items()}.get(sender, sender)
    body = json.dumps({"msg_id": f"sim-{uuid.uuid4().hex}", "chat_id": chat_id, "sender_id": alias,
                       "sender_name": name, "text": text, "sent_at": datetime.now(UTC).isoformat()},
                      ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    host, port = request.transport.get_extra_info("sockname")[:2]
    host = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
    from bot.app import HTTP

    async with request.config_dict[HTTP].post(f"http://{host}:{port}/bridge/message", data=body,
                                              headers={SIGNATURE_HEADER: sign(secret, body, stamp),
                                                       TIMESTAMP_HEADER: stamp,
                                                       "Content-Type": "application/json"}) as resp:
        answer = await resp.json(content_type=None)
        status = resp.status
    await db(request)(lambda s: audit(s, who.userid, "simulate", f"chat:{chat_id}", "ok" if status == 200 else
                                      "error", f"as {sender}: {text[:200]}", request.remote), commit=True)
    return web.json_response({"status": status, "reply": answer.get("reply"), "ticket": answer.get("ticket"),
                              "sender_name": name}, dumps=lambda o: json.dumps(o, ensure_ascii=False))


async def feed(request: web.Request) -> web.Response:
    """Pushes written since ``after``: to the chat (bridge) and direct messages to people."""
    _admin(request)
    chat = request.query.get("chat", "")
    try:
        after = int(request.query.get("after", "0"))
    except ValueError:
        after = 0

    def work(s: Session) -> list[dict]:
        stmt = select(Outbox).where(col(Outbox.id) > after, or_(
            (Outbox.target_kind == "bridge") & (Outbox.target == chat), Outbox.target_kind == "user"))
        rows = s.exec(stmt.order_by(col(Outbox.id)).limit(100)).all()
        return [{"id": o.id, "kind": o.target_kind, "to": o.target, "status": o.status,
                 "text": (o.body or {}).get("content") or json.dumps(o.body, ensure_ascii=False)} for o in rows]

    return web.json_response(await db(request)(work), dumps=lambda o: json.dumps(o, ensure_ascii=False))


def routes(app: web.Application) -> None:
    app.router.add_get("/simulator", page)
    app.router.add_post("/simulator/say", say)
    app.router.add_get("/simulator/feed", feed)
