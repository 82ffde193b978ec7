"""The closed loop's scheduled checks: warnings before a deadline, escalation at it, auto-close after the rating
window. Run by the scheduler (``bot/scheduler.py``, job "loop") every ``[reminders] check_minutes``.

- **Warning**: at ``[sla] warn_fraction`` of a clock (response or resolution) the handler is told (the lead and
  the department's staff; the grid's worker when nobody holds it yet).
- **Escalation**: when a clock's deadline passes, the secretaries one level up (the community's for a grid
  ticket, the street's for a community one) are told, and the history records it. The ticket is not moved:
  passing it up stays a person's decision (上报, 督办).
- Paused tickets are skipped (their clocks stand still). Each stage is recorded in the history (``sla_warned``,
  ``sla_escalated``, with the clock and deadline) and each push carries a dedup key, so a run repeated or run twice
  never repeats one, and a moved deadline starts afresh.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, col, select

from handlers import card_specs, loop, texts
from handlers import texts_cards as tc
from handlers import texts_loop as tl
from handlers.announce import stamp
from handlers.context import Services
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
    done = _stages_done(session)
    n = 0
    stmt = select(Ticket).where(col(Ticket.status).in_(OPEN)).order_by(col(Ticket.id))
    for t in session.exec(stmt).all():
        targets = sla.targets(t.category, t.urgent)
        for clock, due, working in _clocks(t):
            stage = "sla_escalated" if due <= now else "sla_warned"
            if (t.id, stage, clock, due.isoformat()) in done:
                continue
            if due <= now:
                n += _escalate(session, ctx, t, clock, due, now)
                continue
            budget = (targets.respond if clock == "respond" else targets.resolve).seconds
            if sla.calendar.add(due, -(1 - sla.warn_fraction) * budget, working) <= now:
                text = tl.sla_warning(t.id, t.category, clock, due, t.text)
                told = loop.holders(ctx, t)
                for u in told:
                    n += card_specs.to_member(session, u, text, t, title=tc.warning_title(t.id), now=now,
                                         dedup_key=f"sla:{t.id}:{clock}:{stamp(due)}:warn:{u}")
                _mark(session, t, "sla_warned", clock, due, now, f"{tl.CLOCK_NAMES[clock]}时限将到，已提醒承办人")
    n += loop.auto_close(session, services, now)
    return n


def _stages_done(session: Session) -> set[tuple[int, str, str, str]]:
    """(ticket, stage, clock, deadline) already handled for the open tickets: one query, so a run with nothing
    new costs a read, not an attempted push per ticket."""
    stmt = (select(TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.changes)
            .join(Ticket, col(Ticket.id) == TicketEvent.ticket_id)
            .where(col(Ticket.status).in_(OPEN), col(TicketEvent.kind).in_(("sla_warned", "sla_escalated"))))
    return {(tid, kind, (ch or {}).get("clock"), (ch or {}).get("due")) for tid, kind, ch in session.exec(stmt)}


def _mark(session: Session, t: Ticket, kind: str, clock: str, due: datetime, now: datetime, text: str) -> None:
    session.add(TicketEvent(ticket_id=t.id, at=now, actor=loop.SYSTEM, kind=kind, old_status=t.status,
                            new_status=t.status, public=False, text=text,
                            changes={"clock": clock, "due": due.isoformat()}))


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
    where = texts.LEVEL_NAMES.get(level, level)
    late = f"超过{tl.CLOCK_NAMES[clock]}时限"
    said = f"{late}，已告知{where}" if upper else f"{late}，{where}无书记可告知"
    _mark(session, t, "sla_escalated", clock, due, now, said)
    log.info("sla.escalated ticket=%s clock=%s level=%s to=%d", t.id, clock, level, made)
    return made
