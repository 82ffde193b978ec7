"""The reporter withdraws (撤回) or corrects (补充) their own ticket; staff fix its place (改位置).

Categories are fixed by staff with 改类 (``handlers.staff``). Each is a step of the life cycle
(``transitions.TRANSITIONS``): 撤回 only before the ticket is finished, 补充 while it is being handled.
"""

from __future__ import annotations

import handlers.staff  # noqa: F401  (registered first: help lists the staff commands before these)
from handlers import lifecycle, notify, wording
from handlers.context import Context
from handlers.errors import CommandError
from handlers.messages import Reply
from handlers.permissions import HANDLER, REPORTER
from handlers.ticket_commands import ticket_command
from storage.models import Ticket


def _tell_holder(ctx: Context, t: Ticket, text: str) -> None:
    if t.assignee and t.assignee != ctx.actor:
        notify.to_member(ctx.session, t.assignee, text)


def withdraw(ctx: Context, t: Ticket, rest: str) -> Reply:
    lifecycle.apply(ctx, t, "withdraw", text=rest or "反映人撤回", public=False)
    _tell_holder(ctx, t, wording.withdrawn_dm(t.id, rest))
    return Reply(wording.withdrawn_reply(t.id), t.id)


def amend(ctx: Context, t: Ticket, rest: str) -> Reply:
    if not rest:
        raise CommandError("amend without text", wording.AMEND_USAGE.format(number=t.id))
    lifecycle.target_status(t, "amend")
    loc = ctx.services.classifier.classify(rest).location
    changes = {"location": loc.key()} if loc.key() else {}
    amended = f"{t.text}\n补充：{rest}"
    lifecycle.apply(ctx, t, "amend", text=rest, public=False, **changes)
    t.text = amended  # the ticket's own text, after the versioned step
    ctx.session.flush()
    _tell_holder(ctx, t, wording.amended_dm(t.id, rest))
    return Reply(wording.amended_reply(t.id, "location" in changes), t.id)


def relocate(ctx: Context, t: Ticket, rest: str) -> Reply:
    if not rest:
        raise CommandError("relocate without place", wording.RELOCATE_USAGE.format(number=t.id))
    c = ctx.services.classifier.classify(rest)
    if not c.location.key():
        raise CommandError(f"no place in {rest!r}", wording.no_place(rest))
    lifecycle.apply(ctx, t, "relocate", text=f"位置更正为：{rest}", public=False, location=c.location.key())
    return Reply(wording.relocated_reply(t.id, rest), t.id)


ticket_command("撤回", withdraw, REPORTER, aliases=("/withdraw",))
ticket_command("补充", amend, REPORTER, aliases=("/amend",), help_key="")
ticket_command("改位置", relocate, HANDLER, aliases=("/relocate",))
