"""The closed loop's scheduled checks: warnings before a deadline, escalation at it, auto-close after the rating
window. Run by the scheduler (``bot/scheduler.py``, job "loop") every ``[reminders] check_minutes``.

- **Warning**: at ``[sla] warn_fraction`` of a clock (response or resolution) the handler is told (the lead and
  the department's staff; the grid's worker when nobody holds it yet).
- **Escalation**: when a clock's deadline passes, the secretaries one level up (the community's for a grid
  ticket, the street's for a community one) are told, and the history records it. The ticket is not moved:
  passing it up stays a person's decision (上报, 督办).
- Paused tickets are skipped (their clocks stand still); each push is enqueued once per ticket, clock, deadline
  and stage (dedup keys), so a run repeated or run twice never repeats one, and a moved deadline starts afresh.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, col, select

from handlers import loop
from handlers import texts_loop as tl
from handlers.announce import stamp
from handlers.context import Services
from handlers.sla import CalendarGap
from storage import org
from storage.delivery import enqueue_once
from storage.models import Grid, Member, Ticket, TicketEvent
from storage.rates import OPEN

log = logging.getLogger(__name__)


def _clocks(t: Ticket) -> list[tuple[str, datetime, bool]]:
    out = []
    if t.responded_at is None and t.respond_due_at is not None:
        out.append(("respond", t.respond_due_at, t.respond_working))
    out.append(("resolve", t.due_at, t.resolve_working))
    return out


def check(session: Session, services: Services, now: datetime) -> int:
    """Enqueue the warnings and escalations due at ``now`` and close what the rating window closes; returns rows
    made. The caller commits."""
    sla = services.rules.sla
    ctx = loop.system_context(session, services, now)
    n = 0
    stmt = select(Ticket).where(col(Ticket.status).in_(OPEN)).order_by(col(Ticket.id))
    for t in session.exec(stmt).all():
        targets = sla.targets(t.category, t.urgent)
        for clock, due, working in _clocks(t):
            budget = (targets.respond if clock == "respond" else targets.resolve).seconds
            try:
                warn = sla.calendar.add(due, -(1 - sla.warn_fraction) * budget, working)
            except CalendarGap as e:
                log.error("calendar.gap ticket=%s %s", t.id, e.reason)
                continue
            if due <= now:
                n += _escalate(session, ctx, t, clock, due, now)
            elif warn <= now:
                text = tl.sla_warning(t.id, t.category, clock, due, t.text)
                for u in loop.holders(ctx, t):
                    n += enqueue_once(session, f"sla:{t.id}:{clock}:{stamp(due)}:warn:{u}", "user", u, text)
    n += loop.auto_close(session, services, now)
    return n


def _escalate(session: Session, ctx, t: Ticket, clock: str, due: datetime, now: datetime) -> int:
    level = loop.NEXT_LEVEL.get(t.level, "street")
    _, upper = loop.upper_secretaries(session, t, level)
    grid = session.get(Grid, t.grid_id)
    handler = session.get(Member, t.assignee) if t.assignee else None
    text = tl.sla_escalated(t.id, t.category, clock, due, org.describe(session, grid) if grid else "",
                            t.department or (handler.name if handler else None))
    # the resolution clock shares its keys with handlers/reminders.py: the two never push the same thing twice
    key = f"escalate:{t.id}:{stamp(due)}:{level}" if clock == "resolve" else f"sla:{t.id}:respond:{stamp(due)}"
    made = sum(enqueue_once(session, f"{key}:{m.userid}", "user", m.userid, text) for m in upper)
    if made:
        session.add(TicketEvent(ticket_id=t.id, at=now, actor=loop.SYSTEM, kind="sla_escalated",
                                old_status=t.status, new_status=t.status, public=False,
                                text=f"超过{tl.CLOCK_NAMES[clock]}时限，已告知{level}",
                                changes={"clock": clock, "due": due.isoformat(), "level": level}))
        log.info("sla.escalated ticket=%s clock=%s level=%s to=%d", t.id, clock, level, made)
    return made
