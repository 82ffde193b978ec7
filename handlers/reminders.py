"""Deadline reminders: the assignee is told before the deadline and when it passes; past a margin the next
level up (the community's secretaries for a grid ticket, the street's for a community one) is told too.

Each reminder is enqueued once per ticket, deadline and stage (dedup key), so running the check every few
minutes, or twice, never repeats one; a new deadline (a reopened ticket) starts the stages afresh.
The ticket itself is not moved: escalating it remains a person's decision (``上报``); the history records that
the reminder went up.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from handlers import card_specs, texts
from handlers import texts_cards as tc
from handlers.announce import stamp
from storage import org
from storage.delivery import enqueue_once
from storage.models import Community, Grid, Member, Ticket, TicketEvent
from storage.tickets import OPEN_STATUSES

log = logging.getLogger(__name__)

NEXT_LEVEL = {"grid": "community", "community": "street"}


def _open_with_deadline_before(session: Session, before: datetime) -> list[Ticket]:
    stmt = (
        select(Ticket)
        .where(col(Ticket.status).in_(OPEN_STATUSES), Ticket.status != "paused", col(Ticket.due_at) < before)
        .order_by(col(Ticket.due_at), col(Ticket.id))
    )
    return list(session.exec(stmt).all())


def _upper_secretaries(session: Session, ticket: Ticket) -> tuple[str, list[str]]:
    """The level above the one holding the ticket, and its secretaries."""
    level = NEXT_LEVEL.get(ticket.level, "street")
    grid = session.get(Grid, ticket.grid_id)
    community = session.get(Community, grid.community_id) if grid else None
    if level == "community" and community is not None:
        cond = Member.community_id == community.id
    elif community is not None:
        cond = Member.street_id == community.street_id
    else:
        return level, []
    stmt = select(Member.userid).where(Member.role == "secretary", cond).order_by(col(Member.userid))
    return level, list(session.exec(stmt).all())


def check(session: Session, now: datetime, *, before: timedelta, escalate_after: timedelta) -> int:
    """Enqueue the reminders due at ``now``; returns how many rows are new. The caller commits."""
    n = 0
    for t in _open_with_deadline_before(session, now + before):
        due = stamp(t.due_at)
        args = {"number": t.id, "category": t.category, "due": t.due_at, "text": t.text}
        if t.assignee:  # a card with the buttons the ticket's state allows, where cards can go
            if t.due_at > now:
                n += card_specs.to_member(session, t.assignee, texts.remind_due_soon(**args), t,
                                     title=tc.warning_title(t.id), now=now, dedup_key=f"remind:{t.id}:{due}:soon")
            else:
                n += card_specs.to_member(session, t.assignee, texts.remind_overdue(**args), t,
                                     title=tc.overdue_title(t.id), now=now, dedup_key=f"remind:{t.id}:{due}:overdue")
        if t.due_at + escalate_after <= now:
            level, upper = _upper_secretaries(session, t)
            grid = session.get(Grid, t.grid_id)
            assignee = session.get(Member, t.assignee) if t.assignee else None
            text = texts.remind_escalated(
                number=t.id, category=t.category, due=t.due_at, grid=org.describe(session, grid) if grid else "",
                handler=assignee.name if assignee else None, hours=(now - t.due_at).total_seconds() / 3600,
            )
            made = sum(enqueue_once(session, f"escalate:{t.id}:{due}:{level}:{u}", "user", u, text) for u in upper)
            if made:
                session.add(TicketEvent(ticket_id=t.id, at=now, actor="gridbot", kind="overdue_reminder",
                                        old_status=t.status, new_status=t.status,
                                        text=f"超期提醒已发送至{texts.LEVEL_NAMES.get(level, level)}", public=False))
                log.info("reminders.escalated ticket=%s level=%s to=%d", t.id, level, made)
            elif not upper:
                log.debug("reminders.no_upper ticket=%s level=%s", t.id, level)
            n += made
    return n
