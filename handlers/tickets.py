"""Ticket history and opening a ticket for one message (batches go through ``handlers.intake``)."""

from __future__ import annotations

from sqlmodel import Session

from handlers.context import Context
from handlers.intake import Intake, Request
from handlers.messages import Reply
from nlp import Classification
from storage.models import Grid, Ticket, TicketEvent


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


def open_or_join(ctx: Context, grid: Grid, c: Classification, text: str) -> Reply | Request:
    """Open a ticket for a request, or join an open one: with the batch's intake when there is one (the reply
    comes when it is written), else at once."""
    if ctx.intake is not None:
        return ctx.intake.add(ctx.msg, grid, c, text)
    intake = Intake(ctx.session, ctx.services, ctx.now)
    req = intake.add(ctx.msg, grid, c, text)
    intake.flush()
    assert req.reply is not None
    return req.reply
