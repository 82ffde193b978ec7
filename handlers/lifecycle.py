"""The ticket life cycle as data, and the one function that moves a ticket along it.

Status codes: open → accepted → in_progress / in_mediation / escalated → resolved → closed, plus reopened and
duplicate. ``TRANSITIONS[action]`` maps each status the action may start from to the status it leads to; any
other (status, action) pair is impossible and refused with the current status named. Self-loops (a progress
note while in progress, a follow-up visit after resolution, a recategorisation) change fields, not status.

Rules of the table worth knowing:

- ``open`` must be accepted (接单) before notes, mediation or 办结: someone is then on record as the handler.
  From ``open`` one may also escalate, transfer to a department or person, or merge a duplicate.
- A mediation ends with its outcome (调解结果: in_mediation → in_progress, the grid worker is asked to visit),
  or the mediator / worker resolves it directly, or it is escalated when mediation fails.
- Only ``resolved`` can be rated: 满意 / 基本满意 close it, 不满意 reopens it (new deadline, assignee told).
- ``closed`` and ``duplicate`` are final, except that a follow-up visit may still be recorded on a closed ticket.
- 退单 (the lead handler, with a reason) puts a held ticket back to ``open``: assigned to whoever transferred it,
  else unassigned, the grid's workers and the community secretaries asked to dispatch it again.
- 挂起 (``paused``) stops the clocks until 解挂; 撤回 by the reporter closes a ticket not yet finished.

Every change is one ``UPDATE ticket … SET version = version + 1 WHERE id = :id AND version = :v``: when
another process changed the ticket since it was read, no row matches and the step is refused (``Conflict``),
so two people acting at once never both win. The event (actor, old and new status, text) and the pushes are
written in the same transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import update

from handlers import notify, texts
from handlers.context import Context
from handlers.errors import Conflict, InvalidTransition, NotFound
from handlers.tickets import record
from storage.models import Ticket

log = logging.getLogger(__name__)

STATUSES = ("open", "accepted", "in_progress", "in_mediation", "escalated", "resolved", "closed", "reopened",
            "duplicate", "paused")
WORKING = ("accepted", "in_progress", "escalated", "reopened")  # someone holds it, nothing else is pending
OPEN = ("open", "in_mediation", *WORKING)  # being handled and not paused


def _to(target: str, *sources: str) -> dict[str, str]:
    return {s: target for s in sources}


TRANSITIONS: dict[str, dict[str, str]] = {
    "accept": _to("accepted", "open", "escalated", "reopened"),
    "note": {**_to("in_progress", *WORKING), "in_mediation": "in_mediation"},
    "transfer": _to("in_progress", "open", *WORKING),
    "escalate": _to("escalated", "open", "in_mediation", *WORKING),  # escalated → escalated: one level up
    "mediate": _to("in_mediation", *WORKING),
    "mediated": _to("in_progress", "in_mediation"),
    "follow_up": {"in_progress": "in_progress", "resolved": "resolved", "closed": "closed"},
    "resolve": _to("resolved", "in_mediation", *WORKING),
    "rate_ok": _to("closed", "resolved"),
    "rate_bad": _to("reopened", "resolved"),
    "merge": _to("duplicate", "open", "in_mediation", *WORKING),
    "recategorise": {s: s for s in STATUSES if s != "duplicate"},
    # 退单 by the lead handler, with a reason: back to whoever transferred it, else to the grid, to dispatch again
    "send_back": _to("open", *WORKING),
    "withdraw": _to("closed", *OPEN, "paused"),  # 撤回: the reporter, before it is finished
    "amend": {s: s for s in (*OPEN, "paused")},  # 补充: the reporter corrects text or place
    "relocate": {s: s for s in STATUSES if s != "duplicate"},  # 改位置: staff fix the place
    # the closed loop (handlers/loop.py)
    "pause": _to("paused", "in_mediation", *WORKING),  # 挂起: the clocks stop
    "resume": _to("in_progress", "paused"),  # 解挂: they run again, deadlines moved on by the pause
    "supervise": {s: s for s in (*OPEN, "paused")},  # 督办: a note and perhaps a new deadline
    "chase": {s: s for s in (*OPEN, "paused")},  # 催办 by the reporter
    "add_helper": {s: s for s in (*OPEN, "paused")},  # 协办
    "rate_bad_again": _to("escalated", "resolved"),  # a second 不满意: one level up, 回访 by the secretary
    "auto_close": _to("closed", "resolved"),  # no rating within the window: 默认满意 or 未评价
}

EVENT_KINDS = {
    "accept": "accepted", "note": "progress", "transfer": "transferred", "escalate": "escalated",
    "mediate": "mediation", "mediated": "mediation_result", "follow_up": "follow_up", "resolve": "resolved",
    "rate_ok": "rated", "rate_bad": "reopened", "merge": "merged", "recategorise": "recategorised",
    "send_back": "sent_back", "withdraw": "withdrawn", "amend": "amended", "relocate": "relocated",
    "pause": "paused", "resume": "resumed", "supervise": "supervised", "chase": "chased",
    "add_helper": "helper_added", "rate_bad_again": "escalated_after_rating", "auto_close": "auto_closed",
}

# The first of these by a member of staff stops the response clock (responded_at).
RESPONDING = frozenset({"accept", "note", "transfer", "escalate", "mediate", "mediated", "resolve", "pause",
                        "send_back"})
# Fields whose every change is written into the event's ``changes`` (old, new): the audit trail.
AUDITED = ("status", "due_at", "respond_due_at", "assignee", "department", "level", "category", "location",
           "grid_id", "rating", "rating_score", "paused_at", "supervised", "duplicate_of", "urgent")

assert all(s in STATUSES and t in STATUSES for m in TRANSITIONS.values() for s, t in m.items())
assert set(EVENT_KINDS) == set(TRANSITIONS)


def allowed(status: str, action: str) -> bool:
    return status in TRANSITIONS[action]


def target_status(ticket: Ticket, action: str) -> str:
    """The status ``action`` leads to from the ticket's current one, or ``InvalidTransition``."""
    to = TRANSITIONS[action].get(ticket.status)
    if to is None:
        raise InvalidTransition(
            f"ticket {ticket.id}: {action} from {ticket.status}",
            texts.invalid_transition(number=ticket.id, status=ticket.status, action=action,
                                     duplicate_of=ticket.duplicate_of),
        )
    return to


def load(ctx: Context, number: int | None) -> Ticket:
    ticket = ctx.session.get(Ticket, number) if number is not None else None
    if ticket is None:
        raise NotFound(f"no ticket {number}", texts.NO_SUCH_TICKET.format(number=number))
    return ticket


def apply(
    ctx: Context,
    ticket: Ticket,
    action: str,
    *,
    text: str | None = None,
    public: bool = True,
    notice: str | None = None,
    **changes: Any,
) -> Ticket:
    """Move ``ticket`` by ``action``: check the table, update with the version check, record, notify.

    ``changes`` are further columns to set (assignee, level, category ...). ``notice`` goes to the followers
    (the reporter sees it in their group) when the event is public.
    """
    old = ticket.status
    new = target_status(ticket, action)
    values: dict[str, Any] = {**changes, "status": new, "version": Ticket.version + 1, "updated_at": ctx.now}
    if new == "resolved" and old != "resolved":
        values["resolved_at"] = ctx.now
        values.setdefault("rating_due_at", ctx.now + ctx.rules.rating_window)
    if new == "closed" and old != "closed":
        values["closed_at"] = ctx.now
    if (action in RESPONDING and ticket.responded_at is None and ctx.member is not None
            and ctx.member.role != "resident"):
        values["responded_at"] = ctx.now
    audit = _changes(ticket, values)
    stmt = (
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.version == ticket.version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if ctx.session.execute(stmt).rowcount != 1:
        log.info("ticket.conflict ticket=%s action=%s actor=%s version=%s", ticket.id, action, ctx.actor,
                 ticket.version)
        raise Conflict(f"ticket {ticket.id} changed since version {ticket.version}", texts.conflict(ticket.id))
    ctx.session.refresh(ticket)
    event = record(ctx.session, ticket, EVENT_KINDS[action], ctx.actor, text=text, old_status=old, public=public)
    event.at = ctx.now  # the same clock as the ticket's updated_at
    event.changes = audit or None
    if public and notice:
        notify.to_followers(ctx.session, ticket, notice)
    log.debug("ticket.transition ticket=%s action=%s actor=%s %s->%s version=%s", ticket.id, action, ctx.actor,
             old, new, ticket.version)
    return ticket


def _plain(v: Any) -> Any:
    return v.isoformat() if hasattr(v, "isoformat") else v


def _changes(ticket: Ticket, values: dict[str, Any]) -> dict[str, list[Any]]:
    """The audited fields ``values`` changes: {field: [old, new]} in JSON-friendly form."""
    out: dict[str, list[Any]] = {}
    for name in AUDITED:
        if name in values:
            old, new = getattr(ticket, name), values[name]
            if old != new:
                out[name] = [_plain(old), _plain(new)]
    return out
