"""What a message means: store it once, then a command, an answer to a question, a request, or nothing."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

import handlers.queries  # noqa: F401  (registers the commands anyone may use)
from handlers import clarify, texts
from handlers.commands import MENTIONS, REGISTRY
from handlers.context import Context, Services
from handlers.errors import CommandError
from handlers.messages import InboundMessage, Reply
from handlers.tickets import open_or_join
from storage import org
from storage.models import Inbound, Notice

log = logging.getLogger(__name__)


def handle(session: Session, msg: InboundMessage, services: Services) -> Reply:
    """Handle one message inside the caller's transaction; the caller commits.

    The message is stored first and exactly once per (channel, msg_id): a platform retry gets the answer the
    first delivery got. A failing handler rolls back its own changes but the message and its reply stay.
    """
    now = services.clock()
    inbound = Inbound(
        channel=msg.channel, msg_id=msg.msg_id, chat_id=msg.chat_id, sender_id=msg.sender_id,
        sender_name=msg.sender_name, text=msg.text, sent_at=msg.sent_at, received_at=now,
    )
    try:
        with session.begin_nested():
            session.add(inbound)
    except IntegrityError:
        first = session.exec(
            select(Inbound).where(Inbound.channel == msg.channel, Inbound.msg_id == msg.msg_id)
        ).one()
        log.info("inbound.duplicate channel=%s msg_id=%s", msg.channel, msg.msg_id)
        return Reply(first.reply, first.ticket_id)

    member = org.member(session, msg.sender_id)
    grid = org.grid_for_chat(session, msg.chat_id) if msg.chat_id else None
    if grid is None and msg.chat_id is None and member is not None and member.grid_id:
        grid = session.get(org.Grid, member.grid_id)
    inbound.grid_id = grid.id if grid else None
    ctx = Context(session=session, services=services, msg=msg, inbound=inbound, member=member, grid=grid, now=now)

    try:
        with session.begin_nested():
            reply = dispatch(ctx)
    except CommandError as e:
        log.info("command.refused channel=%s msg_id=%s sender=%s reason=%s",
                 msg.channel, msg.msg_id, msg.sender_id, e.reason)
        reply = Reply(e.user_text)
    except Exception:
        log.exception("handler.failed channel=%s msg_id=%s", msg.channel, msg.msg_id)
        reply = Reply(texts.INTERNAL_ERROR)
    inbound.reply, inbound.ticket_id = reply.text, reply.ticket
    return reply


def dispatch(ctx: Context) -> Reply:
    inv = REGISTRY.parse(ctx.msg.text)
    if inv is not None:
        inv.command.check(ctx)
        return inv.command.run(ctx, inv)

    if ctx.grid is None:
        return _unbound(ctx)

    text = MENTIONS.sub("", ctx.msg.text).strip()
    pending = clarify.pending_for(ctx)
    if pending is not None:
        return clarify.answer(ctx, pending, text)

    c = ctx.services.classifier.classify(text)
    if not c.is_request:
        return Reply.silent()
    if c.confidence < ctx.rules.confidence_threshold:
        return clarify.ask(ctx, c, text)
    return open_or_join(ctx, ctx.grid, c, text)


def _unbound(ctx: Context) -> Reply:
    """One polite notice per unknown chat (or per unregistered 1:1 sender), then silence."""
    msg = ctx.msg
    kind, chat, sender = ("unbound_chat", msg.chat_id, "") if msg.chat_id else ("unregistered", "", msg.sender_id)
    exists = ctx.session.exec(
        select(Notice.id).where(Notice.kind == kind, Notice.chat_id == chat, Notice.sender_id == sender)
    ).first()
    if exists is not None:
        return Reply.silent()
    try:
        with ctx.session.begin_nested():
            ctx.session.add(Notice(kind=kind, chat_id=chat, sender_id=sender, at=ctx.now))
    except IntegrityError:  # another process gave it a moment ago
        return Reply.silent()
    log.info("inbound.unbound kind=%s chat=%s sender=%s", kind, chat, sender)
    return Reply(texts.UNBOUND_CHAT if msg.chat_id else texts.UNREGISTERED_SENDER)
