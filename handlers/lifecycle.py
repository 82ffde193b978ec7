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
from handlers.transitions import AUDITED, EVENT_KINDS, RESPONDING, TRANSITIONS
from storage.models import Ticket

log = logging.getLogger(__name__)


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
