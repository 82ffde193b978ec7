"""Staff commands that drive a ticket: accept, transfer, escalate, mediate, follow up, resolve, rate, merge, ...

Each command names its permission rule; the rule is checked against the ticket before the body runs, and the
body moves the ticket through ``lifecycle.apply`` (state table, version check, event, pushes).
"""

from __future__ import annotations

import re

import handlers.queries  # noqa: F401  (registered first: help lists 进度 / 我的工单 / 帮助 before these)
from handlers import lifecycle, notify, texts, wording
from handlers.commands import REGISTRY, Command, Invocation
from handlers.context import Context
from handlers.errors import CommandError, InvalidTransition, NotFound
from handlers.messages import Reply
from handlers.permissions import (
    CLOSER,
    ESCALATOR,
    GRID_KEEPER,
    HANDLER,
    MEDIATOR,
    REPORTER,
    STAFF,
    scope_grids,
)
from handlers.ticket_commands import (
    NEXT_LEVEL,
    Body,
    grid_worker_of,
    me,
    required,
    tell_other_followers,
    ticket_command,
)
from handlers.tickets import record
from storage import org, staff
from storage import tickets as ticket_store
from storage.models import Community, Correction, Grid, GridChat, Street, Ticket
from storage.tickets import OPEN_STATUSES, follow, followers


def only_one_to_rate(ctx: Context, word: str) -> int:
    """「满意」 without a number: the sender's one ticket waiting for their rating, or a line saying which."""
    numbers = ticket_store.awaiting_rating(ctx.session, ctx.actor)
    if not numbers:
        raise CommandError(f"{word}: nothing to rate", wording.nothing_to_rate(word))
    if len(numbers) > 1:
        raise CommandError(f"{word}: several to rate", wording.which_to_rate(word, numbers))
    return numbers[0]


def _reporter_told(ctx: Context, t: Ticket) -> bool:
    """Whether the push just written reaches the reporter through a channel that can deliver."""
    return notify.last_told(ctx.session, t.id).reporter


# --- accept, transfer, escalate -------------------------------------------------------------------------------


def accept(ctx: Context, t: Ticket, rest: str) -> Reply:
    lifecycle.apply(ctx, t, "accept", text=rest or None, assignee=ctx.actor,
                    notice=texts.accepted_notice(t.id, me(ctx), t.due_at))
    return Reply(texts.accepted_reply(t.id, t.due_at, _reporter_told(ctx, t)), t.id)


def transfer(ctx: Context, t: Ticket, rest: str) -> Reply:
    from handlers import loop  # "转派 12 主办 城管执法中队 协办 赵磊": one lead, helpers who may add notes

    rest, helper_names = loop.split_helpers(rest)
    target = required(rest, f"转派 {t.id} 城管执法中队").lstrip("@")
    s = ctx.session
    lifecycle.target_status(t, "transfer")  # refuse an impossible step before looking for the target
    why = ""
    if " " in target and target not in staff.departments(s) and not staff.find_members(s, target):
        target, reason = target.split(None, 1)  # "转派 12 城管执法中队 占道属城管职责": the why, for the history
        why = f"：{reason.strip()}"
    if target in staff.departments(s):
        recipients = staff.department_members(s, target)
        lifecycle.apply(ctx, t, "transfer", text=f"转派给 {target}{why}", department=target,
                        notice=texts.transferred_notice(t.id, target))
        label = target
    else:
        found = staff.find_members(s, target)
        people = [m for m in found if m.role != "resident"]
        if not people:
            if found:
                raise CommandError(f"transfer to resident {target}", texts.transfer_resident(target))
            raise NotFound(f"transfer target {target}", texts.transfer_unknown(target, staff.departments(s)))
        if len(people) > 1:
            raise CommandError(f"ambiguous {target}", texts.transfer_ambiguous(target, [m.userid for m in people]))
        person = people[0]
        label = texts.staff_name(person.role, person.name)
        recipients = [person]
        lifecycle.apply(ctx, t, "transfer", text=f"转派给 {label}{why}", assignee=person.userid, department=None,
                        notice=texts.transferred_notice(t.id, label))
    told_them = bool(recipients)
    for m in recipients:
        told_them &= notify.to_member(s, m.userid, texts.transferred_dm(t.id, t.category, label, t.text, me(ctx),
                                                                        t.due_at))
    added = loop.add_helpers(ctx, t, helper_names)
    reply = texts.transferred_reply(t.id, label, told_them, _reporter_told(ctx, t))
    if added:
        reply += loop.tl.helpers_added_reply(t.id, added)
    return Reply(reply, t.id)


def escalate(ctx: Context, t: Ticket, reason: str) -> Reply:
    s = ctx.session
    lifecycle.target_status(t, "escalate")
    level = NEXT_LEVEL.get(t.level)
    if level is None:
        raise InvalidTransition(f"ticket {t.id} at the top level", texts.top_level(t.id))
    grid = s.get(Grid, t.grid_id)
    community = s.get(Community, grid.community_id) if grid else None
    if level == "community":
        where = community.name if community else ""
        told = staff.secretaries_of_community(s, community.id) if community else []
    else:
        street = s.get(Street, community.street_id) if community else None
        where = street.name if street else ""
        told = staff.secretaries_of_street(s, street.id) if street else []
    if not told:  # nobody to tell: say so, and the ticket stays where it is
        raise CommandError(f"escalate {t.id}: nobody at {level}",
                           wording.escalate_nobody(t.id, texts.LEVEL_NAMES[level], where))
    lifecycle.apply(ctx, t, "escalate", text=reason or None, level=level,
                    notice=texts.escalated_notice(t.id, level, where))
    reached = True
    for m in told:
        reached &= notify.to_member(s, m.userid, texts.escalated_dm(t.id, t.category, me(ctx), where, reason,
                                                                    t.text))
    return Reply(texts.escalated_reply(t.id, level, where, [texts.staff_name(m.role, m.name) for m in told],
                                       reached), t.id)


# --- mediation and the follow-up visit ------------------------------------------------------------------------


def mediate(ctx: Context, t: Ticket, rest: str) -> Reply:
    lifecycle.target_status(t, "mediate")
    mediators = org.staff_of_grid(ctx.session, t.grid_id, "mediator")
    if not mediators:
        raise CommandError(f"no mediator in {t.grid_id}", texts.no_mediator(t.id))
    m = mediators[0]
    lifecycle.apply(ctx, t, "mediate", text=rest or f"转交调解员 {m.name}",
                    notice=texts.mediate_notice(t.id, m.name))
    told = notify.to_member(ctx.session, m.userid, texts.mediate_dm(t.id, t.text, me(ctx)))
    return Reply(texts.mediate_reply(t.id, m.name, told), t.id)


def mediation_result(ctx: Context, t: Ticket, rest: str) -> Reply:
    text = required(rest, f"调解结果 {t.id} 双方达成一致")
    lifecycle.apply(ctx, t, "mediated", text=text, notice=texts.mediated_notice(t.id, text))
    worker = grid_worker_of(ctx, t)
    if worker is not None:
        notify.to_member(ctx.session, worker.userid, texts.mediated_dm(t.id, text))
    return Reply(texts.mediated_reply(t.id, texts.staff_name(worker.role, worker.name) if worker else None), t.id)


def follow_up(ctx: Context, t: Ticket, rest: str) -> Reply:
    text = required(rest, f"回访 {t.id} 双方已按协议履行")
    lifecycle.apply(ctx, t, "follow_up", text=text, notice=texts.follow_up_notice(t.id, text))
    return Reply(texts.follow_up_reply(t.id), t.id)


# --- resolution and rating ------------------------------------------------------------------------------------


def resolve(ctx: Context, t: Ticket, rest: str) -> Reply:
    text = required(rest, f"办结 {t.id} 已更换充电桩")
    lifecycle.apply(ctx, t, "resolve", text=text, rating=None, notice=texts.resolved_notice(t.id, text))
    return Reply(texts.resolved_reply(t.id, _reporter_told(ctx, t)), t.id)


def _rate(rating: str) -> Body:
    def body(ctx: Context, t: Ticket, rest: str) -> Reply:
        lifecycle.apply(ctx, t, "rate_ok", text=rest or texts.RATING_NAMES[rating], rating=rating)
        tell_other_followers(ctx, t, wording.rated_notice(t.id, texts.RATING_NAMES[rating]))
        return Reply(texts.rated_reply(t.id, rating), t.id)

    return body


def unsatisfied(ctx: Context, t: Ticket, reason: str) -> Reply:
    from handlers import loop  # reopen once, then one level up (the closed loop's rule)

    return loop.unsatisfied(ctx, t, reason)


# --- recategorise, merge ----------------------------------------------------------------------------------------

_BY_NAME = {name: code for code, name in texts.CATEGORY_NAMES.items()}


def category_of(word: str) -> str | None:
    """A category from its code or Chinese name, or a unique beginning of a name ("停车" → parking)."""
    w = word.strip().lower()
    if w in texts.CATEGORY_NAMES:
        return w
    if word in _BY_NAME:
        return _BY_NAME[word]
    hits = [code for name, code in _BY_NAME.items() if name.startswith(word)]
    return hits[0] if len(hits) == 1 else None


def recategorise(ctx: Context, t: Ticket, rest: str) -> Reply:
    word = required(rest, f"改类 {t.id} 停车管理")
    new = category_of(word)
    if new is None:
        raise CommandError(f"unknown category {word}", texts.unknown_category(word))
    old = t.category
    if new == old:
        raise CommandError("same category", texts.same_category(t.id, old))
    lifecycle.target_status(t, "recategorise")
    due, working = ctx.rules.sla.resolve_due(t.created_at, new, t.urgent)
    ctx.session.add(Correction(ticket_id=t.id, text=t.text, old_category=old, new_category=new, actor=ctx.actor,
                               at=ctx.now))
    lifecycle.apply(ctx, t, "recategorise", text=f"{old} → {new}", public=False, category=new, due_at=due,
                    resolve_working=working)
    return Reply(texts.recategorised_reply(t.id, old, new, due), t.id)


_MERGE_TARGET = re.compile(r"^(?:到|至|并入|合并到|入|->|→|>|into|to)?\s*[#＃]?\s*(\d{1,9})\s*$", re.I)


def merge(ctx: Context, t: Ticket, rest: str) -> Reply:
    m = _MERGE_TARGET.match(rest)
    if m is None:
        raise CommandError("merge without target", texts.MERGE_USAGE)
    target = lifecycle.load(ctx, int(m.group(1)))
    if target.id == t.id:
        raise CommandError("merge into itself", texts.merge_self(t.id))
    HANDLER.check(ctx, target)
    lifecycle.target_status(t, "merge")
    if target.status not in OPEN_STATUSES:
        raise InvalidTransition(f"merge into {target.status}", texts.merge_target_done(target.id, target.status))
    lifecycle.apply(ctx, t, "merge", text=f"合并到 #{target.id}", duplicate_of=target.id,
                    notice=texts.merged_notice(t.id, target.id))
    from handlers.texts_loop import merged_in_notice

    notify.to_followers(ctx.session, target, merged_in_notice(target.id, t.id))  # the survivor's own followers
    already = {f.userid for f in followers(ctx.session, target.id)}
    moving = [f for f in followers(ctx.session, t.id) if f.userid not in already]
    for f in moving:
        follow(ctx.session, target.id, f.userid, f.channel, f.chat_id)
    record(ctx.session, target, "merged_in", ctx.actor, text=f"合并了 #{t.id}", old_status=target.status,
           public=False).at = ctx.now
    return Reply(texts.merged_reply(t.id, target.id, len(moving)), t.id)


# --- work list, chat binding ------------------------------------------------------------------------------------


def _scope_name(ctx: Context, grids: set[str] | None) -> str:
    m = ctx.member
    s = ctx.session
    if grids is None:
        return "全部网格"
    if m is not None and m.role == "department":
        return m.department or ""
    if m is not None and m.role in ("secretary", "admin"):
        if m.community_id and (c := s.get(Community, m.community_id)):
            return c.name
        if m.street_id and (st := s.get(Street, m.street_id)):
            return st.name
    if len(grids) == 1 and (g := org.grid(s, next(iter(grids)))):
        return org.describe(s, g)
    return texts.SCOPE_MINE


def todo(ctx: Context, inv: Invocation) -> Reply:
    assert ctx.member is not None
    grids = scope_grids(ctx)
    dept = ctx.member.department if ctx.member.role == "department" else None
    rows, more = staff.open_tickets_in(ctx.session, grid_ids=grids, department=dept, assignee=ctx.actor,
                                       now=ctx.now)
    items = [(t.id, t.category, t.status, t.urgent, t.due_at, t.due_at < ctx.now) for t in rows]
    return Reply(texts.todo(items, _scope_name(ctx, grids), more))


def bind(ctx: Context, inv: Invocation) -> Reply:
    s, chat_id = ctx.session, ctx.msg.chat_id
    if not chat_id:
        raise CommandError("bind outside a group", texts.BIND_NEEDS_GROUP)
    if not inv.rest:
        raise CommandError("bind without grid", texts.BIND_USAGE)
    grid = s.get(Grid, inv.rest.split()[0])
    if grid is None:
        raise NotFound(f"no grid {inv.rest}",
                       texts.unknown_grid(inv.rest, [g.id for g in staff.all_grids(s)]))
    GRID_KEEPER.check(ctx, grid)
    existing = s.get(GridChat, chat_id)
    if existing is not None:
        bound_to = s.get(Grid, existing.grid_id)
        where = org.describe(s, bound_to) if bound_to else existing.grid_id
        if existing.grid_id == grid.id:
            return Reply(texts.already_bound(where))
        raise CommandError(f"chat bound to {existing.grid_id}", texts.bound_elsewhere(where))
    s.add(GridChat(chat_id=chat_id, grid_id=grid.id))
    s.flush()
    org.forget(s)
    from handlers import backlog  # the requests this chat sent before it had a grid

    return Reply(texts.bound(org.describe(s, grid)) + backlog.offer(ctx, grid, chat_id))


def unbind(ctx: Context, inv: Invocation) -> Reply:
    s, chat_id = ctx.session, ctx.msg.chat_id
    existing = s.get(GridChat, chat_id) if chat_id else None
    if existing is None:
        raise CommandError("unbind: not bound", texts.NOT_BOUND)
    grid = s.get(Grid, existing.grid_id)
    GRID_KEEPER.check(ctx, grid)
    s.delete(existing)
    s.flush()
    org.forget(s)
    return Reply(texts.unbound(org.describe(s, grid) if grid else existing.grid_id))


# --- the registry -----------------------------------------------------------------------------------------------

ticket_command("接单", accept, HANDLER, aliases=("/accept",))
ticket_command("转派", transfer, HANDLER, aliases=("/transfer",))
ticket_command("上报", escalate, ESCALATOR, aliases=("/escalate",))
ticket_command("调解", mediate, HANDLER, aliases=("/mediate",))
ticket_command("调解结果", mediation_result, MEDIATOR, aliases=("/mediated",))
ticket_command("回访", follow_up, HANDLER, aliases=("/followup",))
ticket_command("办结", resolve, CLOSER, aliases=("/resolve",))
ticket_command("满意", _rate("satisfied"), REPORTER, aliases=("/satisfied",), implied=only_one_to_rate)
ticket_command("基本满意", _rate("fair"), REPORTER, aliases=("/fair",), help_key="", implied=only_one_to_rate)
ticket_command("不满意", unsatisfied, REPORTER, aliases=("/unsatisfied",), help_key="", implied=only_one_to_rate)
ticket_command("改类", recategorise, HANDLER, aliases=("/recategorise", "/category"))
ticket_command("合并", merge, HANDLER, aliases=("/merge", "并单"))
REGISTRY.add(Command("待办", todo, texts.HELP["待办"], aliases=("/todo",), allowed=STAFF,
                     denied_text=STAFF.denied_text()))
REGISTRY.add(Command("绑定网格", bind, texts.HELP["绑定网格"], aliases=("/bind",), allowed=GRID_KEEPER,
                     denied_text=GRID_KEEPER.denied_text(), text=True, max_text=64))
REGISTRY.add(Command("解绑网格", unbind, "", aliases=("/unbind",), allowed=GRID_KEEPER,
                     denied_text=GRID_KEEPER.denied_text()))
