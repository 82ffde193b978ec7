"""What every one-ticket command shares: load the ticket, check the rule, run the body; and the small helpers the
staff commands (handlers/staff.py) and the closed loop's (handlers/loop.py) both use."""

from __future__ import annotations

from collections.abc import Callable

from handlers import lifecycle, notify, texts
from handlers.commands import REGISTRY, Command, Invocation
from handlers.context import Context
from handlers.errors import CommandError
from handlers.messages import Reply
from handlers.permissions import Rule
from storage import org
from storage.models import Member, Ticket

Body = Callable[[Context, Ticket, str], Reply]
NEXT_LEVEL = {"grid": "community", "community": "street"}


def ticket_command(word: str, body: Body, rule: Rule, *, aliases: tuple[str, ...] = (),
                   help_key: str | None = None, implied: Callable[[Context, str], int] | None = None) -> Command:
    """A command on one ticket: load it, check ``rule`` against it, then run ``body(ctx, ticket, rest)``.
    With ``implied``, the number may be left out when the sender's situation names the ticket."""

    def run(ctx: Context, inv: Invocation) -> Reply:
        number = inv.number if inv.number is not None or implied is None else implied(ctx, word)
        ticket = lifecycle.load(ctx, number)
        rule.check(ctx, ticket)
        return body(ctx, ticket, inv.rest)

    summary = texts.HELP[word] if help_key is None else texts.HELP.get(help_key, "")
    return REGISTRY.add(Command(word, run, summary, aliases=aliases,
                                ticket="required" if implied is None else "optional",
                                allowed=rule, denied_text=rule.denied_text()))


def me(ctx: Context) -> str:
    m = ctx.member
    return texts.staff_name(m.role, m.name) if m is not None else ctx.actor


def required(rest: str, example: str) -> str:
    if not rest:
        raise CommandError("text required", texts.need_text(example))
    return rest


def grid_worker_of(ctx: Context, t: Ticket) -> Member | None:
    """Who visits after mediation: the assignee when they hold the grid, else the grid's first worker."""
    if t.assignee:
        m = org.member(ctx.session, t.assignee)
        if m is not None and m.role in ("grid_worker", "secretary", "admin"):
            return m
    workers = org.staff_of_grid(ctx.session, t.grid_id, "grid_worker")
    return workers[0] if workers else None


def tell_other_followers(ctx: Context, t: Ticket, text: str) -> None:
    """The "+1" followers learn the outcome the reporter decided (the reporter has the reply)."""
    notify.to_followers(ctx.session, t, text, exclude={t.reporter_id})
