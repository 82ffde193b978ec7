"""What a message means: store it once, then a command, an answer to a question, a request, or nothing."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

import handlers.amend  # noqa: F401  (registers 撤回 / 补充 for reporters, 改位置 for staff)
import handlers.announce  # noqa: F401  (registers 群发通知: announcements by secretaries and admins)
import handlers.backlog  # noqa: F401  (registers 补录: tickets from messages sent before the chat was bound)
import handlers.evidence  # noqa: F401  (registers 附件: a ticket's photos and files)
import handlers.identity  # noqa: F401  (registers 绑定: a member links their bridge account)
import handlers.lists  # noqa: F401  (registers 资源 / 服务 / 需求 and adding to the lists)
import handlers.loop  # noqa: F401  (registers the closed loop: 挂起, 解挂, 督办, 催办, 退单, 协办, 评价)
import handlers.queries  # noqa: F401  (registers the commands anyone may use)
import handlers.recall  # noqa: F401  (registers 公告 撤回: recalling an announcement)
import handlers.staff  # noqa: F401  (registers the staff commands: 接单, 转派, 上报, 办结 ...)
from handlers import cards, clarify, evidence, identity, notify, privacy, texts
from handlers.commands import REGISTRY, Invocation
from handlers.context import Context, Services
from handlers.errors import CommandError
from handlers.intake import Intake, Request
from handlers.messages import InboundMessage, Reply
from handlers.tickets import open_or_join
from nlp import Classification
from storage import inbound, org, reply_urls
from storage.models import Notice

log = logging.getLogger(__name__)


def handle(session: Session, msg: InboundMessage, services: Services) -> Reply:
    """Handle one message inside the caller's transaction; the caller commits."""
    return handle_batch(session, [msg], services)[0]


def handle_batch(session: Session, msgs: list[InboundMessage], services: Services) -> list[Reply]:
    """Handle messages inside the caller's transaction (one group commit); replies in the same order.

    Each message is stored first and exactly once per (channel, msg_id): a platform retry gets the answer
    the first delivery got. A failing handler rolls back its own changes; the message and its reply stay.
    The batch shape is for speed: one insert for all messages, one update for all replies.
    """
    now = services.clock()
    notify.configure(session, services.rules, now)
    stored = msgs
    msgs = [identity.resolve(session, m, services.rules) for m in msgs]  # the bridge's own id space
    if len(msgs) > 1:
        org.preload(session, {m.sender_id for m in msgs}, {m.chat_id for m in msgs if m.chat_id})
    places = [_place(session, m) for m in msgs]
    ids = inbound.insert_many(session, [
        {"channel": m.channel, "msg_id": m.msg_id, "chat_id": m.chat_id, "sender_id": m.sender_id,
         "sender_name": m.sender_name, "text": m.text, "sent_at": m.sent_at, "received_at": now,
         "grid_id": grid.id if grid else None}
        for m, (_member, grid) in zip(stored, places, strict=True)
    ])
    for m in msgs:
        if m.reply_url and ids.get(m.key) is not None:  # a retry brings the same URL: kept once
            reply_urls.remember(session, m.chat_id, m.sender_id, m.reply_url, now)
    intake = Intake(session, services, now)
    results: list[Reply | Request] = []
    rows: list[int | None] = []
    contexts: list[Context | None] = []
    for msg, (member, grid) in zip(msgs, places, strict=True):
        row_id = ids.get(msg.key)
        rows.append(row_id)
        if row_id is None:
            log.debug("inbound.duplicate channel=%s msg_id=%s", msg.channel, msg.msg_id)
            results.append(Reply(*inbound.stored_reply(session, msg.channel, msg.msg_id)))
            contexts.append(None)
            continue
        ctx = Context(session=session, services=services, msg=msg, inbound_id=row_id, member=member, grid=grid,
                      now=now, intake=intake)
        contexts.append(ctx)
        results.append(_run(ctx))
    intake.flush()

    replies = [r.reply if isinstance(r, Request) else r for r in results]
    if services.rules.attachments:
        replies = [_evidence(ctx, reply) if ctx is not None else reply
                   for ctx, reply in zip(contexts, replies, strict=True)]
    if log.isEnabledFor(logging.INFO):
        refused = session.info.pop("refused", {})
        for msg, row_id, reply in zip(msgs, rows, replies, strict=True):
            _log_outcome(msg, row_id, reply, refused.get(row_id))
    inbound.set_outcomes(session, [
        (row_id, reply.text, reply.ticket)
        for row_id, reply in zip(rows, replies, strict=True)
        if row_id is not None and (reply.text is not None or reply.ticket is not None)
    ])
    return replies


def _log_outcome(msg: InboundMessage, row_id: int | None, reply: Reply, refused: str | None) -> None:
    """One INFO line per message with what was decided; the details of each step are at DEBUG."""
    if row_id is None:
        outcome = "duplicate"
    elif refused is not None:
        outcome = "refused"
    else:
        inv = REGISTRY.parse_quietly(msg.text)
        word = inv.command.word if isinstance(inv, Invocation) else (inv.word if inv is not None else None)
        outcome = (f"command:{word}" if word else "ticket" if reply.ticket is not None
                   else "silent" if reply.text is None else "answered")
    log.info("message channel=%s msg_id=%s sender=%s chat=%s outcome=%s ticket=%s%s", msg.channel, msg.msg_id,
             msg.sender_id, msg.chat_id or "-", outcome, reply.ticket or "-", f" reason={refused}" if refused else "")


def _evidence(ctx: Context, reply: Reply) -> Reply:
    """Photos, pins and files attach to a ticket; a text picks up what its sender sent just before."""
    if not ctx.msg.has_evidence and (reply.ticket is None or not evidence.has_waiting(ctx)):
        return reply  # the common case: one cached look-up per batch, no savepoint
    try:
        with ctx.session.begin_nested():
            if ctx.msg.has_evidence:
                return evidence.settle(ctx, reply)
            if reply.ticket is not None:
                return evidence.claim_waiting(ctx, reply)
    except Exception:
        log.exception("evidence.failed channel=%s msg_id=%s", ctx.msg.channel, ctx.msg.msg_id)
    return reply


def _place(session: Session, msg: InboundMessage) -> tuple[org.Member | None, org.Grid | None]:
    """Who is speaking and which grid the message belongs to: the chat's grid, or a 1:1 sender's own."""
    member = org.member(session, msg.sender_id)
    grid = org.grid_for_chat(session, msg.chat_id) if msg.chat_id else None
    if grid is None and msg.chat_id is None and member is not None and member.grid_id:
        grid = org.grid(session, member.grid_id)
    return member, grid


def _run(ctx: Context) -> Reply | Request:
    """A reply now, or a request whose reply the batch's intake writes."""
    msg = ctx.msg
    if msg.card is not None:  # a press on a card: the same command code, then the card is updated
        try:
            with ctx.session.begin_nested():
                return cards.press(ctx, _run)
        except Exception:
            log.exception("card.failed channel=%s msg_id=%s", msg.channel, msg.msg_id)
            return Reply(texts.INTERNAL_ERROR)
    if msg.has_evidence and not ctx.text:
        return Reply.silent()  # a photo or pin alone: handlers.evidence decides once the batch is written
    try:
        inv = REGISTRY.parse(msg.text)
        if inv is None and (completed := cards.awaiting(ctx)) is not None:  # after a press on 转派 / 退单 / 办结
            from dataclasses import replace

            ctx = replace(ctx, msg=replace(msg, text=completed))
            inv = REGISTRY.parse(completed)
        c = None
        if inv is None and ctx.grid is not None and not clarify.is_pending(ctx):
            c = ctx.services.classifier.classify(ctx.text)
            if not c.is_request:
                c = clarify.unsure_fragment(ctx.text, c, ctx.rules.confidence_threshold)
                if c is None:
                    return Reply.silent()  # most chatter: nothing to write
            if c.confidence >= ctx.rules.confidence_threshold and not clarify.is_fragment(ctx.text, c):
                return open_or_join(ctx, ctx.grid, c, ctx.text)  # most requests: written with the batch
        if inv is not None and ctx.intake is not None:
            ctx.intake.flush()  # a command may read the tickets this batch has opened so far
        with ctx.session.begin_nested():
            return dispatch(ctx, inv, c)
    except CommandError as e:
        log.debug("command.refused channel=%s msg_id=%s sender=%s reason=%s",
                  msg.channel, msg.msg_id, msg.sender_id, privacy.mask(e.reason))
        ctx.session.info.setdefault("refused", {})[ctx.inbound_id] = privacy.mask(e.reason)
        return Reply(e.user_text)
    except Exception:
        log.exception("handler.failed channel=%s msg_id=%s", msg.channel, msg.msg_id)
        return Reply(texts.INTERNAL_ERROR)


def dispatch(ctx: Context, inv: Invocation | None = None, c: Classification | None = None) -> Reply | Request:
    """What the message means; raising ``CommandError`` undoes whatever it wrote."""
    if inv is not None:
        inv.command.check(ctx)
        return inv.command.run(ctx, inv)
    if ctx.grid is None:
        return _unbound(ctx)
    if c is None:
        pending = clarify.pending_for(ctx)
        if pending is not None and (answered := clarify.answer(ctx, pending, ctx.text)) is not None:
            return answered
        c = ctx.services.classifier.classify(ctx.text)
        if not c.is_request:
            c = clarify.unsure_fragment(ctx.text, c, ctx.rules.confidence_threshold)
            if c is None:
                return Reply.silent()
    if c.confidence < ctx.rules.confidence_threshold or clarify.is_fragment(ctx.text, c):
        return clarify.ask(ctx, c, ctx.text)
    return open_or_join(ctx, ctx.grid, c, ctx.text)


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
    log.debug("inbound.unbound kind=%s chat=%s sender=%s", kind, chat, sender)
    return Reply(texts.UNBOUND_CHAT if msg.chat_id else texts.UNREGISTERED_SENDER)
