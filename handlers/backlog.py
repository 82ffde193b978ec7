"""Messages sent in a chat before it was bound to a grid are kept (every message is stored); after 「绑定网格」
the grid worker is offered the requests among the last day's, and 「补录 编号」 opens a ticket for one as if
its sender had just reported it."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from handlers import wording
from handlers.commands import REGISTRY, Command, Invocation
from handlers.context import Context
from handlers.errors import CommandError
from handlers.intake import Intake
from handlers.messages import InboundMessage, Reply
from handlers.permissions import HANDLER
from storage import org
from storage.models import Grid, Inbound

WINDOW = timedelta(days=1)
MAX_OFFERED = 10


def _waiting(ctx: Context, chat_id: str) -> list[Inbound]:
    """The chat's messages of the last day that came before it had a grid and opened nothing."""
    stmt = (select(Inbound)
            .where(Inbound.chat_id == chat_id, col(Inbound.grid_id).is_(None), col(Inbound.ticket_id).is_(None),
                   Inbound.received_at >= ctx.now - WINDOW, Inbound.id != ctx.inbound_id)
            .order_by(col(Inbound.id)))
    return list(ctx.session.exec(stmt).all())


def offer(ctx: Context, grid: Grid, chat_id: str) -> str:
    """The lines appended to 「绑定网格」's answer: requests among the last day's messages, or nothing."""
    found = []
    for row in _waiting(ctx, chat_id):
        if REGISTRY.parse_quietly(row.text) is not None:
            continue
        c = ctx.services.classifier.classify(row.text)
        if c.is_request:
            found.append((row.id, row.sender_name or row.sender_id.removeprefix("bridge:"), row.text))
    return wording.backlog_offer(found[:MAX_OFFERED], len(found) - MAX_OFFERED) if found else ""


def take(ctx: Context, inv: Invocation) -> Reply:
    """补录 编号: open a ticket for a message sent before the chat was bound."""
    m = inv.rest.strip().lstrip("#＃[【").rstrip("]】")
    if not m.isdigit():
        raise CommandError("backlog without number", wording.BACKLOG_USAGE)
    row = ctx.session.get(Inbound, int(m))
    chat = ctx.msg.chat_id
    if row is None or chat is None or row.chat_id != chat or row.grid_id is not None or row.ticket_id is not None:
        raise CommandError(f"no backlog message {m}", wording.backlog_missing(m))
    grid = org.grid_for_chat(ctx.session, chat)
    if grid is None:
        raise CommandError("backlog in an unbound chat", wording.BACKLOG_NEEDS_BINDING)
    HANDLER.check(ctx, grid)
    c = ctx.services.classifier.classify(row.text)
    if not c.is_request:
        raise CommandError(f"backlog message {m} is no request", wording.backlog_not_request(m))
    msg = InboundMessage(channel=row.channel, msg_id=row.msg_id, sender_id=row.sender_id, text=row.text,
                         sent_at=row.sent_at, chat_id=row.chat_id, sender_name=row.sender_name)
    intake = Intake(ctx.session, ctx.services, ctx.now)
    req = intake.add(msg, grid, c, row.text)
    intake.flush()
    row.grid_id, row.ticket_id = grid.id, req.reply.ticket
    return Reply(wording.backlog_taken(m, req.reply.text), req.reply.ticket)


REGISTRY.add(Command("补录", take, "", aliases=("/backlog",), allowed=HANDLER, denied_text=HANDLER.denied_text(),
                     text=True, max_text=12))
