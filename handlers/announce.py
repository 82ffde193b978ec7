"""Announcements (政策通知, 三务公开) and recurring events: who a target names, and the rows that reach them.

A target is ``grid:ID`` (that grid's group), ``community:ID`` / ``street:ID`` (every grid group in it),
``role:ROLE`` (every member with that role, directly) or ``user:USERID``. A grid's group is reached by its
group robot, else its app group chat (``handlers.notify.grid_group``).

Every row is enqueued under a dedup key naming the announcement, the firing time and the destination, so a
job that runs twice (a restart, a second scheduler for a moment) still pushes each message once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from handlers import notify, texts, wording
from handlers.commands import REGISTRY, Command, Invocation
from handlers.context import Context
from handlers.errors import CommandError
from handlers.messages import Reply
from storage import org
from storage.delivery import enqueue_once
from storage.models import Announcement, Grid, Member
from storage.stats import Scope, grid_ids

log = logging.getLogger(__name__)

TARGET = re.compile(r"^(grid|community|street|role|user):([\w.\-]+)$")
Destination = tuple[str, str]  # (target_kind, target) as the outbox takes them


def check_target(text: str) -> str:
    if not TARGET.match(text):
        raise ValueError(f"{text!r}: expected grid:ID, community:ID, street:ID, role:ROLE or user:USERID")
    return text


@dataclass(frozen=True, slots=True)
class Group:
    """One group an announcement is meant for, and how it is reached (None: it cannot be)."""

    grid: str  # the grid's name, for the status
    via: str  # 群机器人 | 应用群聊 | 桥接群 chat id
    dest: Destination | None


def grid_groups(session: Session, grid: Grid) -> list[Group]:
    """Every group of a grid, each through its own channel: its WeCom group (robot, else app chat) and each
    bridged chat bound to it."""
    name = org.describe(session, grid)
    out: list[Group] = []
    if grid.robot_key:
        out.append(Group(name, "群机器人", ("robot", grid.robot_key)))
    elif grid.appchat_id:
        out.append(Group(name, "应用群聊", ("appchat", grid.appchat_id)))
    bridged = notify._rules(session).bridge_chats
    for chat in sorted(org.chats_of_grid(session, grid.id)):
        if chat in bridged:
            out.append(Group(name, f"桥接群 {chat}", ("bridge", chat)))
    if not out:
        log.warning("announce.unreachable_grid grid=%s reason=no robot_key, appchat_id or bridged chat", grid.id)
        out.append(Group(name, "", None))
    return out


def groups(session: Session, targets: list[str]) -> tuple[list[Group], list[Destination]]:
    """The groups ``targets`` name (grid scopes) and the people (roles, users), each once, in a stable order."""
    found: list[Group] = []
    people: list[Destination] = []
    for t in targets:
        kind, _, ident = t.partition(":")
        if kind in ("grid", "community", "street"):
            grids = session.exec(select(Grid).where(col(Grid.id).in_(grid_ids(Scope(kind, ident))))
                                 .order_by(col(Grid.id))).all()
            for g in grids:
                found += [x for x in grid_groups(session, g) if x not in found]
        elif kind == "role":
            people += [("user", u) for u in session.exec(
                select(Member.userid).where(Member.role == ident).order_by(col(Member.userid))).all()]
        elif kind == "user":
            people.append(("user", ident))
    return found, list(dict.fromkeys(people))


def destinations(session: Session, targets: list[str]) -> list[Destination]:
    """Where ``targets`` are reached, each once, in a stable order."""
    found, people = groups(session, targets)
    return list(dict.fromkeys([g.dest for g in found if g.dest is not None] + people))


def status_lines(session: Session, targets: list[str]) -> list[str]:
    """Per group (and for the people), what happens to the announcement: queued, or why it cannot be."""
    found, people = groups(session, targets)
    lines = []
    for g in found:
        if g.dest is None:
            lines.append(wording.group_unreachable(g.grid))
        else:
            lines.append(wording.group_status(g.grid, g.via, notify.deliverable(session, g.dest)))
    if people:
        ok = sum(notify.deliverable(session, d) for d in people)
        lines.append(wording.people_status(len(people), ok))
    return lines


def stamp(dt: datetime) -> str:
    """A firing's time in a dedup key: UTC to the minute, whatever zone the scheduler gave it in."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def push(session: Session, key: str, targets: list[str], text: str, *, msgtype: str = "text") -> int:
    """Enqueue ``text`` for every destination of ``targets`` under ``key``; returns how many rows are new."""
    n = 0
    for kind, target in destinations(session, targets):
        body = {"content": text}
        n += enqueue_once(session, f"{key}:{kind}:{target}", kind, target, text, msgtype=msgtype, body=body)
    return n


# --- announcements --------------------------------------------------------------------------------------------


def create(session: Session, *, targets: list[str], text: str, created_by: str, now: datetime,
           at: datetime | None = None, cron: str | None = None) -> tuple[Announcement, int]:
    """Store an announcement; without ``at`` or ``cron`` it is pushed at once. Returns it and the rows made."""
    for t in targets:
        check_target(t)
    if at is not None and at <= now:
        raise CommandError(f"announcement at {at.isoformat()} is in the past", wording.announce_in_past(at))
    if not destinations(session, targets):
        raise CommandError(f"no destination for {targets}", texts.ANNOUNCE_NO_TARGET.format(targets="、".join(targets)))
    ann = Announcement(targets=list(targets), text=text, at=at, cron=cron, created_by=created_by, created_at=now)
    session.add(ann)
    session.flush()
    n = 0
    if at is None and cron is None:
        n = fire(session, ann.id, now)
    log.info("announce.created id=%s targets=%s at=%s cron=%s by=%s", ann.id, ",".join(targets),
             at.isoformat() if at else None, cron, created_by)
    return ann, n


def fire(session: Session, announcement_id: int, fire_time: datetime) -> int:
    """Push one firing of an announcement (a one-off is then done); nothing for a cancelled one."""
    ann = session.get(Announcement, announcement_id)
    if ann is None or ann.status == "cancelled" or (ann.status == "sent" and ann.cron is None):
        return 0
    n = push(session, f"announce:{ann.id}:{stamp(fire_time)}", ann.targets,
             texts.announce_text(ann.text))
    if ann.cron is None:
        ann.status = "sent"
    return n


ANNOUNCEMENT_STATUS_NAMES = {"scheduled": "待发送", "sent": "已发送", "cancelled": "已取消"}


def status_text(session: Session, ann: Announcement) -> str:
    """The status people read: a "sent" announcement whose messages still wait says so."""
    from storage.models import Outbox

    if ann.status == "sent":
        rows = session.exec(select(Outbox.status).where(col(Outbox.dedup_key).startswith(f"announce:{ann.id}:"))
                            ).all()
        waiting = sum(1 for r in rows if r == "pending")
        dead = sum(1 for r in rows if r not in ("pending", "sent"))
        if waiting:
            return f"发送中（{waiting} 条待发）"
        if dead:
            return f"部分未送达（{dead} 条）"
    return ANNOUNCEMENT_STATUS_NAMES.get(ann.status, ann.status)


def cancel(session: Session, announcement_id: int) -> Announcement | None:
    ann = session.get(Announcement, announcement_id)
    if ann is None:
        return None
    if ann.status == "scheduled":
        ann.status = "cancelled"
    return ann


def listing(session: Session, *, include_done: bool = False) -> list[Announcement]:
    stmt = select(Announcement)
    if not include_done:
        stmt = stmt.where(Announcement.status == "scheduled")
    return list(session.exec(stmt.order_by(col(Announcement.id))).all())


# --- recurring events from configuration -------------------------------------------------------------------------


def fire_event(session: Session, *, name: str, targets: list[str], place: str, text: str | None,
               fire_time: datetime) -> int:
    when_text = texts.when(fire_time)
    body = texts.event_text(name=name, when_text=when_text, place=place, text=text)
    return push(session, f"event:{name}:{stamp(fire_time)}", targets, body)


# --- in chat: "群发通知 community:quehua 内容" by a secretary or an admin -------------------------------------------


def _may_announce(ctx: Context) -> bool:
    return ctx.role in ("admin", "secretary")


def announce_in_chat(ctx: Context, inv: Invocation) -> Reply:
    words = inv.rest.split()
    targets: list[str] = []
    while words and TARGET.match(words[0]):
        targets.append(words.pop(0))
    text = " ".join(words).strip()
    if inv.number is not None or not targets or not text:
        raise CommandError("announce usage", texts.ANNOUNCE_USAGE)
    for t in targets:
        why = out_of_scope(ctx, t)
        if why is not None:
            raise CommandError(f"announce target {t} outside {ctx.actor}'s scope", why)
    ann, n = create(ctx.session, targets=targets, text=text, created_by=ctx.actor, now=ctx.now)
    return Reply(wording.announce_report(ann.id, status_lines(ctx.session, targets)))


def out_of_scope(ctx: Context, target: str) -> str | None:
    """Targets must lie inside the sender's scope: grids, communities and streets wholly within it; roles
    and single people only for an admin of everywhere (no street), or people inside the sender's grids."""
    from handlers.permissions import scope_grids

    grids = scope_grids(ctx)
    if grids is None:
        return None
    kind, _, ident = target.partition(":")
    if kind in ("grid", "community", "street"):
        wanted = set(ctx.session.scalars(grid_ids(Scope(kind, ident))).all())
        return None if wanted and wanted <= grids else wording.announce_out_of_scope(target)
    if kind == "user":
        m = org.member(ctx.session, ident)
        if m is not None and m.grid_id in grids:
            return None
    return wording.announce_out_of_scope(target)


ANNOUNCE = REGISTRY.add(Command(
    "群发通知", announce_in_chat, "群发通知 对象 内容 —— 向网格群或人员群发通知（书记、管理员）",
    aliases=("/announce",), ticket="optional", allowed=_may_announce,
))
