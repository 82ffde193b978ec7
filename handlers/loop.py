"""The closed loop's commands: 挂起/解挂, 督办, 催办, 退单, 协办, 评价 (1–5), the second 不满意, auto-close.

Every step goes through ``lifecycle.apply`` (the state table, the version check, the audited event). The
deadlines come from ``handlers.sla`` (calendar, two clocks, pause). Each command body has the shape
``(ctx, ticket, rest) -> Reply`` and writes its notifications to the outbox in the caller's transaction; ``act``
runs any ticket command for an actor without a chat message (the web console's door), returning the reply and
the notifications it wrote.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from handlers import lifecycle, notify, texts, wording
from handlers import texts_loop as tl
from handlers.commands import REGISTRY
from handlers.context import Context, Services
from handlers.errors import CommandError, NotFound
from handlers.messages import InboundMessage, Reply
from handlers.permissions import REPORTER, RETURNER, STAFF, Rule, in_scope, is_follower, is_role
from handlers.sla import TZ
from handlers.ticket_commands import NEXT_LEVEL, grid_worker_of, me, required, tell_other_followers, ticket_command
from storage import org, staff
from storage.models import Community, Grid, Member, Outbox, Street, Ticket, TicketEvent, TicketHelper
from storage.tickets import survivor
from storage.types import utcnow

log = logging.getLogger(__name__)

OWNER = STAFF & in_scope  # 挂起 / 解挂 / 协办: staff in scope (incl. the department it was transferred to)
SUPERVISOR = is_role("secretary", "admin") & in_scope  # 督办: a secretary, or the grid centre (admin)

SYSTEM = "gridbot"


def _chaser(ctx: Context, target) -> str | None:
    if target is None or is_follower.deny(ctx, target) is None:
        return None
    return tl.not_follower_chase(target.id)


CHASER = Rule(_chaser, "反映人")  # 催办: the reporter or a follower (rating is the reporter's only)


# --- who holds a ticket -----------------------------------------------------------------------------------------


def helpers(session: Session, ticket_id: int) -> list[str]:
    stmt = select(TicketHelper.userid).where(TicketHelper.ticket_id == ticket_id).order_by(col(TicketHelper.at))
    return list(session.exec(stmt).all())


def holders(ctx: Context, t: Ticket, *, with_helpers: bool = False) -> list[str]:
    """Who is told about the ticket: the lead (assignee), the department's staff, else the grid's worker."""
    s = ctx.session
    out: list[str] = []
    if t.department:
        out += [m.userid for m in staff.department_members(s, t.department)]
    if t.assignee:
        out.append(t.assignee)
    if not out and (w := grid_worker_of(ctx, t)) is not None:
        out.append(w.userid)
    if with_helpers:
        out += helpers(s, t.id)
    return [u for u in dict.fromkeys(out) if u != ctx.actor]


def upper_secretaries(session: Session, t: Ticket, level: str) -> tuple[str, list[Member]]:
    """The secretaries of ``level`` above the ticket's grid, and the place's name."""
    grid = session.get(Grid, t.grid_id)
    community = session.get(Community, grid.community_id) if grid else None
    if level == "community":
        return (community.name if community else ""), (
            staff.secretaries_of_community(session, community.id) if community else [])
    street = session.get(Street, community.street_id) if community else None
    return (street.name if street else ""), (staff.secretaries_of_street(session, street.id) if street else [])


# --- 挂起 / 解挂 -------------------------------------------------------------------------------------------------


def pause(ctx: Context, t: Ticket, reason: str) -> Reply:
    reason = required(reason, f"挂起 {t.id} 等待居民在家时上门")
    lifecycle.apply(ctx, t, "pause", text=reason, paused_at=ctx.now, notice=tl.paused_notice(t.id, reason))
    return Reply(tl.paused_reply(t.id, reason), t.id)


def resume(ctx: Context, t: Ticket, rest: str) -> Reply:
    lifecycle.target_status(t, "resume")
    cal = ctx.rules.sla.calendar
    since = t.paused_at or ctx.now
    due = cal.after_pause(t.due_at, t.resolve_working, since, ctx.now)
    changes: dict = {"paused_at": None, "due_at": due}
    if t.responded_at is None and t.respond_due_at is not None:
        changes["respond_due_at"] = cal.after_pause(t.respond_due_at, t.respond_working, since, ctx.now)
    lifecycle.apply(ctx, t, "resume", text=rest or None, notice=tl.resumed_notice(t.id, due), **changes)
    return Reply(tl.resumed_reply(t.id, due), t.id)


# --- 督办 ----------------------------------------------------------------------------------------------------------

_DEADLINE = re.compile(r"(?:新?时限|期限|限期)\s*[:：]?\s*(\S+(?:\s+\d{1,2}:\d{2})?)\s*$")
_REL = re.compile(r"^(\d+(?:\.\d+)?)\s*(小时|天|个?工作日)$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$")
_CN = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]?(?:\s*(\d{1,2}):(\d{2}))?$")


def parse_deadline(ctx: Context, text: str) -> datetime:
    """"12月10日", "2026-12-10 18:00" (Asia/Shanghai; a day alone: its end), "3天", "48小时", "2个工作日"."""
    text = text.strip()
    if m := _REL.match(text):
        amount, unit = float(m.group(1)), m.group(2)
        if unit == "小时":
            return ctx.now + timedelta(hours=amount)
        if unit == "天":
            return ctx.now + timedelta(days=amount)
        return ctx.rules.sla.calendar.add_working(ctx.now, amount * 86400)
    m = _ISO.match(text) or _CN.match(text)
    if m is None:
        raise CommandError(f"bad deadline {text!r}", tl.bad_deadline(text))
    local_now = ctx.now.astimezone(TZ)
    year = int(m.group(1)) if m.group(1) else local_now.year
    try:
        day = date(year, int(m.group(2)), int(m.group(3)))
        at = time(int(m.group(4)), int(m.group(5))) if m.group(4) else time(23, 59)
    except ValueError:
        raise CommandError(f"bad deadline {text!r}", tl.bad_deadline(text)) from None
    if not m.group(1) and day < local_now.date():
        day = day.replace(year=year + 1)  # "1月5日" said in December
    due = datetime.combine(day, at, TZ)
    if due <= ctx.now:
        raise CommandError(f"deadline in the past {text!r}", tl.deadline_past(text))
    return due


def supervise(ctx: Context, t: Ticket, rest: str) -> Reply:
    note = required(rest, f"督办 {t.id} 请本周内解决 时限 3天")
    due = None
    if m := _DEADLINE.search(note):
        due = parse_deadline(ctx, m.group(1))
        note = note[:m.start()].strip() or note
    lifecycle.target_status(t, "supervise")
    changes: dict = {"supervised": True}
    if due is not None:
        changes["due_at"] = due
        changes["resolve_working"] = False  # a date given by a person is a point in time, not a budget
    lifecycle.apply(ctx, t, "supervise", text=note, public=False, **changes)
    from handlers import card_specs
    from handlers.texts_cards import supervised_title

    for u in holders(ctx, t):
        card_specs.to_member(ctx.session, u, tl.supervised_dm(t.id, t.category, me(ctx), note, t.due_at), t,
                        title=supervised_title(t.id), now=ctx.now)
    return Reply(tl.supervised_reply(t.id, due), t.id)


# --- 催办 ----------------------------------------------------------------------------------------------------------


def chase(ctx: Context, t: Ticket, rest: str) -> Reply:
    t = survivor(ctx.session, t)
    lifecycle.target_status(t, "chase")
    since = ctx.now - ctx.rules.chase_period
    last = ctx.session.exec(
        select(func.max(TicketEvent.at)).where(TicketEvent.ticket_id == t.id, TicketEvent.kind == "chased",
                                                TicketEvent.actor == ctx.actor)).one()
    if last is not None and last > since:
        log.info("chase.throttled ticket=%s actor=%s", t.id, ctx.actor)
        raise CommandError("chase throttled", tl.chase_throttled(t.id, last + ctx.rules.chase_period))
    lifecycle.apply(ctx, t, "chase", text=rest or None, public=False)
    for u in holders(ctx, t):
        notify.to_member(ctx.session, u, tl.chased_dm(t.id, t.category, rest or None, t.due_at))
    return Reply(tl.chased_reply(t.id), t.id)


# --- 退单, 转派 with 主办/协办 ----------------------------------------------------------------------------------------


def _handed_over_by(session: Session, t: Ticket, not_: str) -> Member | None:
    """The member of staff who last transferred the ticket (other than ``not_``), if still on record."""
    stmt = (select(TicketEvent.actor).where(TicketEvent.ticket_id == t.id, TicketEvent.kind == "transferred",
                                             TicketEvent.actor != not_)
            .order_by(col(TicketEvent.id).desc()))
    actor = session.exec(stmt).first()
    m = org.member(session, actor) if actor else None
    return m if m is not None and m.role != "resident" else None


def send_back(ctx: Context, t: Ticket, reason: str) -> Reply:
    """退单 N 原因, by the lead handler (RETURNER): back to whoever transferred it, to dispatch again; with no
    transfer, back to open unassigned and the grid's workers and the community's secretaries asked to reassign
    it. The event (actor, time, reason, the handler's change) is the hand-over's record."""
    reason = required(reason, f"退单 {t.id} 不属于本单位职责")
    lifecycle.target_status(t, "send_back")
    s = ctx.session
    back = _handed_over_by(s, t, ctx.actor)
    lifecycle.apply(ctx, t, "send_back", text=reason, public=False, department=None,
                    assignee=back.userid if back else None)
    if back is not None:
        told = [back.userid]
    else:
        workers = [w.userid for w in org.staff_of_grid(s, t.grid_id, "grid_worker")]
        _, secs = upper_secretaries(s, t, "community")
        told = [u for u in dict.fromkeys([*workers, *(m.userid for m in secs)]) if u != ctx.actor]
    reached = bool(told)
    from handlers import card_specs  # back to open: each gets 接单 / 转派 on a card; the first press takes it
    from handlers.texts_cards import sent_back_title as tc_sent_back_title

    for u in told:
        card_specs.to_member(s, u, wording.sent_back_dm(t.id, me(ctx), reason, t.text), t,
                        title=tc_sent_back_title(t.id), now=ctx.now)
        reached &= notify.deliverable(s, ("user", u))
    to = texts.staff_name(back.role, back.name) if back else None
    return Reply(wording.sent_back_reply(t.id, to, reached), t.id)


_HELPERS = re.compile(r"\s*(?:协办(?:人)?)\s*[:：]?\s*(.+)$")


def split_helpers(rest: str) -> tuple[str, list[str]]:
    """"主办 赵磊 协办 王芳、李四" → ("赵磊", ["王芳", "李四"]); the lead part may be a department."""
    lead, names = rest, []
    if m := _HELPERS.search(rest):
        lead, names = rest[:m.start()], [n.lstrip("@") for n in re.split(r"[\s,，、]+", m.group(1)) if n]
    lead = re.sub(r"^\s*主办(?:人)?\s*[:：]?\s*", "", lead).strip()
    return lead, names


def _staff_member(session: Session, name: str) -> Member:
    found = [m for m in staff.find_members(session, name) if m.role != "resident"]
    if len(found) != 1:
        raise NotFound(f"helper {name}", tl.helper_unknown(name) if not found
                       else texts.transfer_ambiguous(name, [m.userid for m in found]))
    return found[0]


def add_helpers(ctx: Context, t: Ticket, names: list[str]) -> list[str]:
    """Add 协办 staff to a ticket (event, DM each); their names as shown."""
    if not names:
        return []
    s = ctx.session
    members = [_staff_member(s, n) for n in names]
    have = set(helpers(s, t.id)) | {t.assignee}
    shown = []
    for m in members:
        if m.userid in have:
            raise CommandError("already helping", tl.helper_already(t.id, m.name))
        have.add(m.userid)
        s.add(TicketHelper(ticket_id=t.id, userid=m.userid, added_by=ctx.actor, at=ctx.now))
        shown.append(texts.staff_name(m.role, m.name))
    s.flush()
    lifecycle.apply(ctx, t, "add_helper", text="协办：" + "、".join(shown), public=False)
    lead = t.department or (texts.staff_name(lm.role, lm.name) if t.assignee and (lm := org.member(s, t.assignee))
                            else me(ctx))
    for m in members:
        notify.to_member(s, m.userid, tl.helper_dm(t.id, t.category, lead, t.text))
    return shown


def add_helper(ctx: Context, t: Ticket, rest: str) -> Reply:
    _, names = split_helpers("协办 " + rest if rest else "")
    if not names:
        raise CommandError("no helper named", tl.NEED_HELPER)
    lifecycle.target_status(t, "add_helper")
    return Reply(tl.helpers_added_reply(t.id, add_helpers(ctx, t, names)), t.id)


# --- rating: 1–5, a second 不满意, auto-close ------------------------------------------------------------------

SCORES = {5: "satisfied", 4: "satisfied", 3: "fair", 2: "unsatisfied", 1: "unsatisfied"}
_WORDS = {"满意": "satisfied", "非常满意": "satisfied", "基本满意": "fair", "一般": "fair", "不满意": "unsatisfied"}


def unsatisfied(ctx: Context, t: Ticket, reason: str, score: int | None = None) -> Reply:
    """不满意: reopen once with a new resolution deadline; the second time up one level, 回访 by the secretary."""
    t = survivor(ctx.session, t)  # about a merged ticket: the one it lives on in
    reason = reason.strip()
    if t.reopen_count >= 1:
        lifecycle.target_status(t, "rate_bad_again")
        level = NEXT_LEVEL.get(t.level, t.level)
        due, working = _resolve_due(ctx, t)
        lifecycle.apply(ctx, t, "rate_bad_again", text=reason or texts.RATING_NAMES["unsatisfied"],
                        rating="unsatisfied", rating_score=score, level=level, due_at=due, resolve_working=working,
                        resolved_at=None, rating_due_at=None, reopen_count=t.reopen_count + 1,
                        notice=tl.escalated_after_rating_reply(t.id, level))
        _, told = upper_secretaries(ctx.session, t, level)
        for m in told:
            notify.to_member(ctx.session, m.userid, tl.escalated_after_rating_dm(t.id, t.category, reason, t.text))
        return Reply(tl.escalated_after_rating_reply(t.id, level), t.id)
    lifecycle.target_status(t, "rate_bad")
    due, working = _resolve_due(ctx, t)
    lifecycle.apply(ctx, t, "rate_bad", text=reason or texts.RATING_NAMES["unsatisfied"], rating="unsatisfied",
                    rating_score=score, due_at=due, resolve_working=working, resolved_at=None, rating_due_at=None,
                    reopen_count=t.reopen_count + 1)
    tell_other_followers(ctx, t, wording.reopened_follower_notice(t.id))
    holder = t.assignee or (w.userid if (w := grid_worker_of(ctx, t)) else None)
    if holder:
        notify.to_member(ctx.session, holder, texts.reopened_dm(t.id, reason, due))
    return Reply(texts.reopened_reply(t.id, due), t.id)


def _resolve_due(ctx: Context, t: Ticket) -> tuple[datetime, bool]:
    return ctx.rules.sla.resolve_due(ctx.now, t.category, t.urgent)


def rate(ctx: Context, t: Ticket, rest: str) -> Reply:
    """评价 12 4 [意见] | 评价 12 满意: a score 1–5 (4–5 满意, 3 基本满意, 1–2 不满意) or the words."""
    t = survivor(ctx.session, t)
    word, _, note = rest.strip().partition(" ")
    score = int(word) if word.isdigit() and int(word) in SCORES else None
    rating = SCORES[score] if score is not None else _WORDS.get(word)
    if rating is None:
        raise CommandError(f"bad rating {rest!r}", tl.bad_score(t.id))
    if rating == "unsatisfied":
        return unsatisfied(ctx, t, note, score)
    lifecycle.apply(ctx, t, "rate_ok", text=note or texts.RATING_NAMES[rating], rating=rating, rating_score=score)
    tell_other_followers(ctx, t, wording.rated_notice(t.id, texts.RATING_NAMES[rating]))
    return Reply(tl.scored_reply(t.id, score, rating) if score else texts.rated_reply(t.id, rating), t.id)


def system_context(session: Session, services: Services, now: datetime, actor: str = SYSTEM) -> Context:
    """A context for a step nobody typed (the scheduler's, or the console's for ``actor``)."""
    msg = InboundMessage("console" if actor != SYSTEM else "system", "", actor, "", now)
    return Context(session=session, services=services, msg=msg, inbound_id=0, member=org.member(session, actor),
                   grid=None, now=now)


def auto_close(session: Session, services: Services, now: datetime) -> int:
    """Close resolved tickets whose rating window has passed, as 默认满意 or 未评价; returns how many."""
    rules = services.rules
    window_start = now - rules.rating_window
    stmt = (select(Ticket).where(Ticket.status == "resolved",
                                 (col(Ticket.rating_due_at) <= now)
                                 | (col(Ticket.rating_due_at).is_(None) & (col(Ticket.resolved_at) <= window_start)))
            .order_by(col(Ticket.id)))
    ctx = system_context(session, services, now)
    n = 0
    for t in session.exec(stmt).all():
        rating = "default_satisfied" if rules.auto_close_as == "default_satisfied" else None
        try:
            with session.begin_nested():
                lifecycle.apply(ctx, t, "auto_close", text=texts.RATING_NAMES.get(rating or "", "未评价"),
                                rating=rating, notice=tl.auto_closed_notice(t.id, rules.auto_close_as))
            n += 1
        except CommandError as e:  # changed by someone a moment ago: the next run sees it again
            log.info("auto_close.skipped ticket=%s reason=%s", t.id, e.reason)
    if n:
        log.info("auto_close.closed n=%d", n)
    return n


# --- the console's door -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    reply: str | None  # what the actor is told (Chinese), also when refused
    ticket: int | None
    notifications: list[tuple[str, str, str]]  # (target kind, target, text) written to the outbox


def act(session: Session, services: Services, actor: str, number: int, word: str, rest: str = "",
        now: datetime | None = None) -> Outcome:
    """Run the ticket command ``word`` ("督办", "挂起", "办结" ...) as ``actor`` on ticket ``number``, with the same
    rules as in chat; the caller commits. A refusal changes nothing and comes back with its reason."""
    cmd = REGISTRY.get(word)
    if cmd is None or cmd.ticket != "required":
        raise ValueError(f"not a ticket command: {word!r}")
    ctx = system_context(session, services, now or services.clock() or utcnow(), actor)
    from handlers.commands import Invocation

    session.flush()
    first = session.exec(select(func.coalesce(func.max(Outbox.id), 0))).one()
    try:
        with session.begin_nested():
            cmd.check(ctx)
            reply = cmd.run(ctx, Invocation(cmd, number, rest.strip()))
    except CommandError as e:
        return Outcome(False, e.user_text, number, [])
    rows = session.exec(select(Outbox).where(col(Outbox.id) > first).order_by(col(Outbox.id))).all()
    return Outcome(True, reply.text, reply.ticket, [(r.target_kind, r.target, r.body.get("content", "")) for r in rows])


# --- the registry -------------------------------------------------------------------------------------------------

HELPER_RULE: Rule = OWNER  # who may add 协办: staff in scope, as for 挂起

ticket_command("挂起", pause, OWNER, aliases=("/pause",))
ticket_command("解挂", resume, OWNER, aliases=("/resume",))
ticket_command("督办", supervise, SUPERVISOR, aliases=("/supervise",))
ticket_command("催办", chase, CHASER, aliases=("/chase",))
ticket_command("退单", send_back, RETURNER, aliases=("/sendback",))
ticket_command("协办", add_helper, HELPER_RULE, aliases=("/helper",))
ticket_command("评价", rate, REPORTER, aliases=("/rate",))
