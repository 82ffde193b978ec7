"""Commands anyone may use: progress of a ticket, my tickets, help.

``进度 12`` asks; ``进度 12 <text>`` from staff in scope adds a progress note the reporter sees. A resident's
``进度 12 怎么还没修`` is answered as the question it is.
"""

from __future__ import annotations

from handlers import lifecycle, texts
from handlers.commands import REGISTRY, Command, Invocation
from handlers.context import Context
from handlers.errors import NotFound
from handlers.messages import Reply
from handlers.permissions import NOTE_TAKER, STAFF
from storage.models import Member, Ticket
from storage.tickets import latest_event, open_tickets_of


def get_ticket(ctx: Context, number: int | None) -> Ticket:
    ticket = ctx.session.get(Ticket, number) if number is not None else None
    if ticket is None:
        raise NotFound(f"no ticket {number}", texts.NO_SUCH_TICKET.format(number=number))
    return ticket


def handler_name(ctx: Context, ticket: Ticket) -> str | None:
    if ticket.department:
        return ticket.department
    if ticket.assignee:
        m = ctx.session.get(Member, ticket.assignee)
        if m is not None:
            return f"{texts.ROLE_NAMES.get(m.role, '')} {m.name}".strip()
    return None


def show_progress(ctx: Context, inv: Invocation) -> Reply:
    from handlers import loop, texts_loop

    asked = get_ticket(ctx, inv.number)
    ticket = loop.survivor(ctx.session, asked)  # a merged ticket answers with the one it lives on in
    head = texts_loop.merged_redirect(asked.id, ticket.id) if ticket.id != asked.id else ""
    ev = latest_event(ctx.session, ticket.id)
    note = ev.text if ev is not None and ev.kind != "opened" else None
    return Reply(
        head + texts.progress(number=ticket.id, category=ticket.category, status=ticket.status, due=ticket.due_at,
                              note=note, at=ev.at if ev else None, handler=handler_name(ctx, ticket)),
        ticket.id,
    )


def progress(ctx: Context, inv: Invocation) -> Reply:
    if inv.rest and STAFF(ctx):
        return add_note(ctx, inv)
    return show_progress(ctx, inv)


def add_note(ctx: Context, inv: Invocation) -> Reply:
    ticket = lifecycle.load(ctx, inv.number)
    NOTE_TAKER.check(ctx, ticket)
    assert ctx.member is not None
    who = texts.staff_name(ctx.member.role, ctx.member.name)
    lifecycle.apply(ctx, ticket, "note", text=inv.rest, notice=texts.note_notice(ticket.id, who, inv.rest))
    return Reply(texts.note_reply(ticket.id), ticket.id)


def my_tickets(ctx: Context, inv: Invocation) -> Reply:
    rows = open_tickets_of(ctx.session, ctx.actor)
    return Reply(texts.my_tickets([(t.id, t.category, t.status) for t in rows]))


def help_(ctx: Context, inv: Invocation) -> Reply:
    return Reply(REGISTRY.help_for(ctx))


PROGRESS = REGISTRY.add(Command("进度", progress, "进度 12 —— 查询工单进展", aliases=("查询", "/progress"),
                                ticket="required", more_help=((STAFF, texts.HELP["进度+"]),)))
REGISTRY.add(Command("我的工单", my_tickets, "我的工单 —— 查看我反映的、还在办理的诉求", aliases=("/mine",)))
REGISTRY.add(Command("帮助", help_, "帮助 —— 查看可用命令", aliases=("/help", "菜单")))
