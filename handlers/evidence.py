"""Photos, voice messages, files and location pins as evidence on tickets: attach, don't guess.

A message's attachments are written with it (status ``pending``; the bytes come later, fetched by the edge)
and attached to a ticket by these rules, with the window ``[attachments] attach_minutes``:

1. The message's own text opened, joined or acted on a ticket (a request with a photo, 「办结 12 已修好」
   with a photo): that ticket.
2. Else the ticket the same sender last reported or joined in the same chat within the window, or the last
   one they resolved (办结) within the window: the photo then is the result (``role = result``).
3. Else it waits the window for the sender's text in the same chat, which picks it up when it opens or joins
   a ticket (``claim_waiting``); the first of such a run gets one clarifying question.

Only someone who may see the ticket (its reporter, a follower, staff in scope) attaches to it. A location sets
the ticket's place (label and coordinates) when it has none. When the bytes are stored (``on_stored``), a
result photo is sent to the ticket's followers; a refusal (too large, wrong type) is told to the sender.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, update
from sqlmodel import Session

import handlers.lists  # noqa: F401  (registered first: help lists 附件 after the ticket commands)
import handlers.staff  # noqa: F401
from handlers import links, notify
from handlers import texts_media as tm
from handlers.context import Context
from handlers.messages import InboundMessage, Reply
from handlers.permissions import NOTE_TAKER
from handlers.settings import TicketRules
from handlers.tickets import record
from storage import attachments as store
from storage import org, outbox
from storage.models import Attachment, Ticket

log = logging.getLogger(__name__)

_INSERT = insert(Attachment.__table__).returning(Attachment.__table__.c.id, sort_by_parameter_order=True)


@dataclass(slots=True)
class Written:
    ids: list[int]
    kinds: list[str]
    refused: list[str]  # Chinese refusals known at once (a declared size over the limit)


def write(ctx: Context) -> Written:
    """The message's attachments and pin as rows, none linked yet."""
    msg, now = ctx.msg, ctx.now
    rows, kinds, refusals = [], [], []
    base = {"inbound_id": ctx.inbound_id, "ticket_id": None, "role": "evidence", "channel": msg.channel,
            "chat_id": msg.chat_id, "sender_id": msg.sender_id, "attempts": 0, "next_attempt_at": now,
            "created_at": now, "stored_at": None, "sha256": None, "content_type": None, "size": None,
            "latitude": None, "longitude": None, "label": None, "reason": None, "aes_key": None}
    for a in msg.attachments:
        limit = ctx.rules.max_bytes.get(a.kind)
        known = len(a.data) if a.data is not None else a.size
        row = {**base, "kind": a.kind, "source": a.source, "ref": a.ref[:4000], "name": (a.name or None),
               "declared_size": a.size, "inline": a.data, "aes_key": a.aes_key,
               "status": "stored" if a.source == "none" else "pending"}
        if a.source == "none":
            row["stored_at"] = now
        if limit is not None and known is not None and known > limit:
            row.update(status="refused", reason=f"too_large: {known} bytes over {limit}", inline=None,
                       size=known)
            refusals.append(tm.refused("too_large", a.kind, limit))
        else:
            kinds.append(a.kind)
        if row["name"]:
            row["name"] = row["name"][:200]
        rows.append(row)
    if msg.location is not None:
        p = msg.location
        rows.append({**base, "kind": "location", "source": "none", "ref": "", "name": None, "declared_size": None,
                     "inline": None, "status": "stored", "stored_at": now, "latitude": p.lat,
                     "longitude": p.lng, "label": p.label[:200] or None})
        kinds.append("location")
    ids = list(ctx.session.connection().execute(_INSERT, rows).scalars()) if rows else []
    accepted = [i for i, r in zip(ids, rows, strict=True) if r["status"] != "refused"]
    return Written(accepted, kinds, refusals)


def can_view(session: Session, services, userid: str, ticket: Ticket, now: datetime) -> bool:
    """The ticket's reporter, or staff in scope (who could add a note to it)."""
    if ticket.reporter_id == userid:
        return True
    member = org.member(session, userid)
    if member is None or member.role == "resident":
        return False
    probe = InboundMessage(channel="files", msg_id="-", sender_id=userid, text="", sent_at=now)
    ctx = Context(session=session, services=services, msg=probe, inbound_id=0, member=member, grid=None, now=now)
    return NOTE_TAKER.deny(ctx, ticket) is None


def _may_attach(ctx: Context, ticket: Ticket) -> bool:
    from storage.tickets import is_follower

    return (ticket.reporter_id == ctx.actor or is_follower(ctx.session, ticket.id, ctx.actor)
            or NOTE_TAKER.deny(ctx, ticket) is None)


def settle(ctx: Context, reply: Reply) -> Reply:
    """Write and attach the evidence of ``ctx.msg`` once its text (if any) was handled into ``reply``."""
    if ctx.grid is None and reply.ticket is None:
        return reply  # an unbound chat or an unregistered sender: the message is kept, its files are not fetched
    key = (ctx.msg.channel, ctx.msg.chat_id, ctx.actor)
    was_waiting = key in _waiting(ctx)  # read before this message's rows are written
    written = write(ctx)
    since = ctx.now - ctx.rules.attach_window
    target: tuple[str, int] | None = None
    if reply.ticket is not None:
        recent = store.recent_ticket(ctx.session, ctx.msg.channel, ctx.msg.chat_id, ctx.actor, since)
        role = "result" if recent == ("result", reply.ticket) else "evidence"
        target = (role, reply.ticket)
    elif written.ids:
        target = store.recent_ticket(ctx.session, ctx.msg.channel, ctx.msg.chat_id, ctx.actor, since)
    ticket = ctx.session.get(Ticket, target[1]) if target is not None else None
    if ticket is not None and not _may_attach(ctx, ticket):
        ticket = None
    lines = list(written.refused)
    if ticket is not None and written.ids:
        role = "result" if target[0] == "result" else "evidence"
        attach(ctx, ticket, written.ids, written.kinds, role, fresh=reply.text is None)
        if reply.text:
            lines.insert(0, f"{reply.text}\n{tm.attached_note(written.kinds)}")
        elif role == "result":
            lines.insert(0, tm.result_attached(ticket.id, written.kinds))
        else:
            lines.insert(0, tm.attached(ticket.id, written.kinds))
        return Reply("\n".join(lines), ticket.id)
    if reply.text:
        lines.insert(0, reply.text)
    elif written.ids and ctx.grid is not None:
        if not was_waiting:  # one question per run of photos
            lines.insert(0, tm.WAITING_FOR_TEXT)
        _waiting(ctx).add(key)
    return Reply("\n".join(lines) or None, reply.ticket)


def _waiting(ctx: Context) -> set[tuple[str, str | None, str]]:
    info = ctx.session.info
    if "waiting_attachments" not in info:
        info["waiting_attachments"] = store.waiting_senders(ctx.session, ctx.now - ctx.rules.attach_window)
    return info["waiting_attachments"]


def has_waiting(ctx: Context) -> bool:
    """Whether the sender has photos or pins waiting in this chat (one query per batch, answered from memory)."""
    return (ctx.msg.channel, ctx.msg.chat_id, ctx.actor) in _waiting(ctx)


def claim_waiting(ctx: Context, reply: Reply) -> Reply:
    """A text that opened or joined a ticket picks up what its sender sent just before in the same chat."""
    if reply.ticket is None or (ctx.msg.channel, ctx.msg.chat_id, ctx.actor) not in _waiting(ctx):
        return reply
    rows = store.waiting(ctx.session, ctx.msg.channel, ctx.msg.chat_id, ctx.actor,
                         ctx.now - ctx.rules.attach_window)
    ticket = ctx.session.get(Ticket, reply.ticket)
    _waiting(ctx).discard((ctx.msg.channel, ctx.msg.chat_id, ctx.actor))
    if not rows or ticket is None or not _may_attach(ctx, ticket):
        return reply
    resolved = store.recent_ticket(ctx.session, ctx.msg.channel, ctx.msg.chat_id, ctx.actor,
                                   ctx.now - ctx.rules.attach_window)
    role = "result" if resolved == ("result", ticket.id) else "evidence"
    kinds = [r.kind for r in rows]
    attach(ctx, ticket, [r.id for r in rows], kinds, role, fresh=False, pins=[r for r in rows if r.kind == "location"])
    text = f"{reply.text}\n{tm.earlier_attached_note(kinds)}" if reply.text else tm.attached(ticket.id, kinds)
    return Reply(text, reply.ticket)


def attach(ctx: Context, ticket: Ticket, ids: list[int], kinds: list[str], role: str, *, fresh: bool,
           pins: list[Attachment] | None = None) -> None:
    """Link rows to the ticket, set its place from a pin, record it, and tell the assignee about new evidence."""
    s = ctx.session
    store.link(s, ids, ticket.id, role)
    pin = ctx.msg.location
    place_line = None
    if pin is not None:
        lat, lng, label = pin.lat, pin.lng, pin.label
    elif pins:
        lat, lng, label = pins[-1].latitude, pins[-1].longitude, pins[-1].label or ""
    else:
        lat = lng = None
        label = ""
    if lat is not None and lng is not None:
        place_line = f"{tm.place_set(label)} {tm.map_link(lat, lng, label)}"
        if ticket.latitude is None:
            s.execute(update(Ticket).where(Ticket.id == ticket.id, Ticket.latitude.is_(None))
                      .values(place_label=label[:200] or None, latitude=lat, longitude=lng)
                      .execution_options(synchronize_session=False))
    what = tm.describe(kinds)
    record(s, ticket, "result_photo" if role == "result" else "evidence", ctx.actor,
           text=what + (f"；{tm.place_set(label)}" if place_line else ""), old_status=ticket.status,
           public=False).at = ctx.now
    if role == "evidence" and fresh and ticket.assignee and ticket.assignee != ctx.actor:
        who = ctx.msg.sender_name or (ctx.member.name if ctx.member else ctx.actor)
        notify.to_member(s, ticket.assignee, tm.staff_evidence_notice(ticket.id, kinds, who, place_line))
    log.info("evidence.attached ticket=%s role=%s kinds=%s sender=%s", ticket.id, role, ",".join(kinds), ctx.actor)


# --- once the bytes are in (called by the edge's fetcher, in its own transaction) -----------------------------


def on_stored(session: Session, rules: TicketRules, att: Attachment, now: datetime, *, robot_ok: bool) -> None:
    """A result photo goes to the ticket's followers: as an image where the channel takes one, else a link.

    ``robot_ok``: the bytes fit a group robot's image message (JPG/PNG, at most 2 MB)."""
    if att.role != "result" or att.ticket_id is None or att.kind != "image":
        return
    ticket = session.get(Ticket, att.ticket_id)
    if ticket is None:
        return
    sent: set[tuple[str, str]] = set()
    from storage.tickets import followers

    for f in followers(session, ticket.id):
        dest = notify.route(session, f.channel, f.userid, f.chat_id)
        if dest is None or dest in sent:
            continue
        sent.add(dest)
        kind, target = dest
        image = {"blob": att.sha256, "content_type": att.content_type, "name": att.name or "", "size": att.size}
        if kind == "robot" and not robot_ok:
            url = links.url(rules.link, att.id, f.userid, now)
            outbox.enqueue(session, kind, target, tm.result_photo_link_notice(ticket.id, url))
            continue
        if kind == "bridge":
            outbox.enqueue(session, kind, target, tm.result_photo_notice(ticket.id), msgtype="image",
                           body={"content": tm.result_photo_notice(ticket.id), "mentioned_list": [f.userid],
                                 **image})
            continue
        outbox.enqueue(session, kind, target, tm.result_photo_notice(ticket.id))
        outbox.enqueue(session, kind, target, "", msgtype="image", body=image)


def on_refused(session: Session, rules: TicketRules, att: Attachment, code: str) -> None:
    """Tell the sender plainly why the file was not kept (the passive reply is long gone)."""
    text = tm.refused(code, att.kind, rules.max_bytes.get(att.kind))
    dest = notify.route(session, att.channel, att.sender_id, att.chat_id)
    if dest is None:
        log.warning("evidence.refusal_unroutable attachment=%s sender=%s", att.id, att.sender_id)
        return
    body = {"content": text}
    if dest[0] in ("robot", "appchat", "bridge") and att.chat_id:
        body["mentioned_list"] = [att.sender_id]
    outbox.enqueue(session, dest[0], dest[1], text, body=body)


# --- 附件 12: the ticket's attachments, with a signed link each for the one who asked -------------------------


def show_attachments(ctx: Context, inv) -> Reply:
    from handlers import lifecycle
    from handlers.errors import PermissionDenied

    ticket = lifecycle.load(ctx, inv.number)
    if not can_view(ctx.session, ctx.services, ctx.actor, ticket, ctx.now):
        raise PermissionDenied(f"{ctx.actor} may not see attachments of {ticket.id}",
                               tm.NOT_ALLOWED.format(number=ticket.id))
    items = []
    staff = ticket.reporter_id != ctx.actor
    for k, a in enumerate(store.for_ticket(ctx.session, ticket.id), 1):
        who = org.member(ctx.session, a.sender_id)
        name = who.name if who is not None else a.sender_id
        if a.kind == "location":
            link = tm.map_link(a.latitude, a.longitude, a.label) if staff and a.latitude is not None else None
            items.append((k, a.kind, a.role, None, name, a.created_at, (a.label or "") + (
                f" {link}" if link else ""), "stored"))
        elif a.kind == "link":
            items.append((k, a.kind, a.role, None, name, a.created_at, a.ref, "stored"))
        else:
            url = links.url(ctx.rules.link, a.id, ctx.actor, ctx.now) if a.status == "stored" else None
            items.append((k, a.kind, a.role, a.size, name, a.created_at, url, a.status))
    return Reply(tm.listing(ticket.id, items, ctx.rules.link.enabled), ticket.id)


def _register() -> None:
    from handlers.commands import REGISTRY, Command

    REGISTRY.add(Command("附件", show_attachments, tm.HELP_ATTACHMENTS, aliases=("/attachments", "/files"),
                         ticket="required"))


_register()
