"""Opening tickets: from a classified message to a tracked ticket, or a "+1" on an open one."""

from __future__ import annotations

from sqlmodel import Session

from handlers import notify, texts
from handlers.context import Context
from handlers.messages import Reply
from nlp import Classification
from storage import org
from storage.models import Grid, Ticket, TicketEvent
from storage.tickets import add_event, follow, insert_ticket, open_duplicate


def record(
    session: Session,
    ticket: Ticket,
    kind: str,
    actor: str,
    *,
    text: str | None = None,
    old_status: str | None = None,
    public: bool = True,
) -> TicketEvent:
    ev = TicketEvent(
        ticket_id=ticket.id, actor=actor, kind=kind, old_status=old_status, new_status=ticket.status,
        text=text, public=public,
    )
    session.add(ev)
    return ev


def place_text(c: Classification) -> str:
    loc = c.location
    parts = []
    if loc.place:
        parts.append(loc.place)
    if loc.building is not None:
        parts.append(f"{loc.building}号楼")
    if loc.unit is not None:
        parts.append(f"{loc.unit}单元")
    if loc.room:
        parts.append(f"{loc.room}室")
    if loc.gate and loc.gate not in parts:
        parts.append(loc.gate)
    return "".join(parts)


def handler_of(session: Session, grid: Grid) -> tuple[str | None, str]:
    """The grid worker who is responsible for a new ticket, and how the reply names them."""
    workers = org.staff_of_grid(session, grid.id, "grid_worker")
    if workers:
        return workers[0].userid, f"网格员 {workers[0].name}"
    return None, "网格员"


def open_or_join(ctx: Context, grid: Grid, c: Classification, text: str) -> Reply:
    s, msg = ctx.session, ctx.msg
    location = c.location.key()
    dup = open_duplicate(s, grid.id, c.category, location, ctx.now - ctx.rules.duplicate_window)
    if dup is not None:
        number, category, status = dup
        added = follow(s, number, msg.sender_id, msg.channel, msg.chat_id, ctx.now)
        if added:
            add_event(s, number, actor=msg.sender_id, kind="plus_one", old_status=status, new_status=status,
                      text=text, at=ctx.now, public=False)
        return Reply(texts.joined_duplicate(number=number, category=category, status=status, added=added), number)

    assignee, handler_name = handler_of(s, grid)
    due = ctx.now + ctx.rules.deadline(c.category, c.urgent)
    number = insert_ticket(s, {
        "grid_id": grid.id, "category": c.category, "urgent": c.urgent, "status": "open", "level": "grid",
        "text": text, "location": location, "keywords": list(c.keywords), "confidence": round(c.confidence, 3),
        "reporter_id": msg.sender_id, "reporter_name": msg.sender_name, "channel": msg.channel,
        "chat_id": msg.chat_id, "assignee": assignee, "department": None, "duplicate_of": None, "rating": None,
        "version": 1, "due_at": due, "created_at": ctx.now, "updated_at": ctx.now, "resolved_at": None,
        "closed_at": None,
    }, actor=msg.sender_id, channel=msg.channel, chat_id=msg.chat_id)
    if assignee:
        head = "【紧急】" if c.urgent else ""
        notify.to_member(
            s, assignee,
            f"{head}新工单 #{number}（{texts.CATEGORY_NAMES[c.category]}）：{text}\n"
            f"办理时限：{texts.when(due)} 前。接单请发「接单 {number}」。",
        )
    reply = texts.ticket_opened(
        number=number, category=c.category, urgent=c.urgent, handler=handler_name,
        grid=org.describe(s, grid), due=due, place=place_text(c),
    )
    return Reply(reply, number)
