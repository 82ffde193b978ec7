"""Commands anyone may use: progress of a ticket, my tickets, help.

``进度 12`` asks; ``进度 12 <text>`` from staff in scope adds a progress note the reporter sees. A resident's
``进度 12 怎么还没修`` is answered as the question it is.
"""

from __future__ import annotations

from handlers import lifecycle, notify, privacy, texts, wording
from handlers.commands import REGISTRY, Command, Invocation
from handlers.context import Context
from handlers.errors import NotFound, PermissionDenied
from handlers.intake import place_text
from handlers.messages import Reply
from handlers.permissions import NOTE_TAKER, STAFF, in_scope
from storage.models import Member, Ticket
from storage.tickets import is_follower, latest_event, open_tickets_of, survivor


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


def may_read(ctx: Context, ticket: Ticket) -> bool:
    """A resident reads the tickets they reported or follow; staff what their role and scope cover."""
    if ticket.reporter_id == ctx.actor or is_follower(ctx.session, ticket.id, ctx.actor):
        return True
    return STAFF(ctx) and in_scope.deny(ctx, ticket) is None


def show_progress(ctx: Context, inv: Invocation) -> Reply:
    from handlers import texts_loop

    asked = get_ticket(ctx, inv.number)
    ticket = survivor(ctx.session, asked)  # a merged ticket answers with the one it lives on in
    if not may_read(ctx, ticket):  # its reporter and followers follow the survivor too
        raise PermissionDenied(f"{ctx.actor} may not read ticket {ticket.id}",
                               texts.NOT_YOUR_TICKET.format(number=asked.id))
    head = texts_loop.merged_redirect(asked.id, ticket.id) if ticket.id != asked.id else ""
    ev = latest_event(ctx.session, ticket.id)
    note = ev.text if ev is not None and ev.kind != "opened" else None
    if ticket.status == "closed" and (last := latest_event(ctx.session, ticket.id, public_only=False)) is not None \
            and last.kind == "withdrawn":
        note, ev = wording.WITHDRAWN_NOTE, last  # a withdrawal is private, but "已关闭" alone reads as if solved
    in_group = ctx.msg.chat_id is not None
    if in_group and privacy.is_private(ticket.category):
        note = wording.PRIVATE_IN_GROUP if note else None  # the group gets a neutral line
    elif in_group or not (STAFF(ctx) and in_scope.deny(ctx, ticket) is None):
        note = privacy.mask(note)  # staff in scope see numbers in full in a 1:1 chat
    card = None
    if ticket.status == "resolved" and ticket.reporter_id == ctx.actor:  # the AI bot asks for the rating by buttons
        from handlers import cards

        card = cards.aibot_card(ctx, "rating", cards.rating_spec(ticket), ticket.id)
    return Reply(
        head + texts.progress(number=ticket.id, category=ticket.category, status=ticket.status, due=ticket.due_at,
                              note=note, at=ev.at if ev else None, handler=handler_name(ctx, ticket)),
        ticket.id, card=card,
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
    return Reply(texts.note_reply(ticket.id, notify.last_told(ctx.session, ticket.id).reporter), ticket.id)


def my_tickets(ctx: Context, inv: Invocation) -> Reply:
    rows = open_tickets_of(ctx.session, ctx.actor)
    clf = ctx.services.classifier
    items = []
    for t in rows:
        first = t.text.split("\n补充：")[0]
        place = place_text(clf.classify(first), first)
        snippet = privacy.mask(first if len(first) <= 24 else first[:23] + "…")
        items.append((t.id, t.category, t.status, place, snippet))
    return Reply(wording.my_tickets(items))


# The five commands each staff role uses most; 「帮助 全部」 lists every command the sender may use.
MOST_USED = {
    "grid_worker": ("待办", "接单", "进度+", "办结", "转派"),
    "mediator": ("待办", "调解结果", "进度+", "办结", "进度"),
    "department": ("待办", "进度+", "办结", "退单", "进度"),
    "secretary": ("待办", "上报", "转派", "群发通知", "接单"),
    "admin": ("待办", "群发通知", "绑定网格", "转派", "上报"),
}


def help_(ctx: Context, inv: Invocation) -> Reply:
    most = MOST_USED.get(ctx.role)
    if most is None or inv.rest in ("全部", "all", "所有"):
        return Reply(REGISTRY.help_for(ctx))
    lines = ["常用命令："]
    for word in most:
        if word == "进度+":
            lines.append(f"· {texts.HELP['进度+']}")
        elif (cmd := REGISTRY.get(word)) is not None and cmd.summary:
            lines.append(f"· {cmd.summary}")
    lines.append(wording.HELP_ALL)
    return Reply("\n".join(lines))


PROGRESS = REGISTRY.add(Command("进度", progress, "进度 12 —— 查询工单进展", aliases=("查询", "/progress"),
                                ticket="required", more_help=((STAFF, texts.HELP["进度+"]),)))
REGISTRY.add(Command("我的工单", my_tickets, "我的工单 —— 查看我反映的、还在办理的诉求", aliases=("/mine",)))
REGISTRY.add(Command("帮助", help_, "帮助 —— 查看可用命令", aliases=("/help", "菜单"), text=True, max_text=4))
