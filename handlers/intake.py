"""Intake: the requests of one batch become tickets (or "+1"s on open ones) together.

Most webhook messages end here, so the work is shaped for the database: one query finds open duplicates for
every request of the batch, one statement inserts all new tickets, and followers, history and the grid
workers' notices each go in with one executemany. Replies are composed once the numbers are known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from handlers import card_specs, notify, texts
from handlers.context import Services
from handlers.messages import InboundMessage, Reply
from nlp import Classification
from storage import org, outbox
from storage.models import Grid
from storage.tickets import DuplicateKey, add_events, add_followers, already_following, insert_tickets, open_duplicates


@dataclass(slots=True)
class Request:
    """One classified request waiting for its ticket; ``reply`` is set by ``Intake.flush``."""

    msg: InboundMessage
    grid: Grid
    c: Classification
    text: str
    key: DuplicateKey
    reply: Reply | None = None


_NUMERAL = r"[\d一二三四五六七八九十两〇零]+"
_BUILDING = re.compile(rf"{_NUMERAL}\s*(?:号楼|[#＃]楼|栋|幢|号)")
_UNIT = re.compile(rf"{_NUMERAL}\s*单元")
_ROOM = re.compile(r"\d+\s*(?:室|房间)")


def _at(pattern: re.Pattern[str], text: str) -> int:
    m = pattern.search(text)
    return m.start() if m else len(text)


def place_text(c: Classification, text: str = "") -> str:
    """"3号楼2单元", "7号楼楼道", "后屯村东门" for replies, in the order the resident wrote them."""
    loc = c.location
    parts: list[tuple[int, int, str]] = []  # (where in the text, default order, part)
    if loc.place:
        parts.append((text.find(loc.place) % (len(text) + 1), 0, loc.place))
    if loc.building is not None:
        parts.append((_at(_BUILDING, text), 1, f"{loc.building}号楼"))
    if loc.unit is not None:
        parts.append((_at(_UNIT, text), 2, f"{loc.unit}单元"))
    if loc.room:
        parts.append((_at(_ROOM, text), 3, f"{loc.room}室"))
    if loc.gate and loc.gate not in [p for _, _, p in parts]:
        parts.append((text.find(loc.gate) % (len(text) + 1), 4, loc.gate))
    return "".join(p for _, _, p in sorted(parts))


def handler_of(session: Session, grid: Grid) -> tuple[str | None, str]:
    """The grid worker responsible for a new ticket, and how the reply names them."""
    workers = org.staff_of_grid(session, grid.id, "grid_worker")
    if workers:
        return workers[0].userid, f"网格员 {workers[0].name}"
    return None, "网格员"


@dataclass(slots=True)
class Intake:
    session: Session
    services: Services
    now: datetime
    pending: list[Request] = field(default_factory=list)

    def add(self, msg: InboundMessage, grid: Grid, c: Classification, text: str) -> Request:
        req = Request(msg, grid, c, text, (grid.id, c.category, c.location.key()))
        self.pending.append(req)
        return req

    def flush(self) -> None:
        """Write every pending request and set its reply. Call before anything reads tickets."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        s, now = self.session, self.now
        since = now - self.services.rules.duplicate_window
        open_ones = open_duplicates(s, {r.key for r in batch}, since)

        # Decide: join an open ticket, join one opened earlier in this batch, or open a new one.
        new: list[Request] = []
        first_of: dict[DuplicateKey, Request] = {}
        joins: list[tuple[Request, int | Request, str]] = []  # (request, number or the new request, status)
        for r in batch:
            if r.key in open_ones:
                number, status = open_ones[r.key]
                joins.append((r, number, status))
            elif r.key[2] and r.key in first_of:
                joins.append((r, first_of[r.key], "open"))
            else:
                new.append(r)
                if r.key[2]:
                    first_of[r.key] = r

        rows, assignees = [], []
        for r in new:
            assignee, _ = handler_of(s, r.grid)
            assignees.append(assignee)
            rows.append(_ticket_row(r, assignee, now, self.services))
        numbers = dict(zip(map(id, new), insert_tickets(s, rows), strict=True))

        followers, events, notices = [], [], []
        for r, row, assignee in zip(new, rows, assignees, strict=True):
            n = numbers[id(r)]
            followers.append(_follower(n, r.msg, now))
            events.append(_event(n, r.msg.sender_id, "opened", None, "open", r.text, now, public=True))
            if assignee:
                head = "【紧急】" if r.c.urgent else ""
                text = (f"{head}新工单 #{n}（{texts.CATEGORY_NAMES[r.c.category]}）：{r.text}\n"
                        f"办理时限：{texts.when(row['due_at'])} 前。接单请发「接单 {n}」。")
                notices.append(card_specs.new_ticket_row(s, row, number=n, assignee=assignee, text=text,
                                                    place=place_text(r.c, r.text), now=now))
            r.reply = Reply(texts.ticket_opened(
                number=n, category=r.c.category, urgent=r.c.urgent, handler=handler_of(s, r.grid)[1],
                grid=org.describe(s, r.grid), due=row["due_at"], place=place_text(r.c, r.text),
                worker_told=bool(assignee) and notify.deliverable(s, ("user", assignee))), n)

        resolved = [(r, target if isinstance(target, int) else numbers[id(target)], status)
                    for r, target, status in joins]
        known = already_following(s, {(n, r.msg.sender_id) for r, n, _ in resolved})
        for r, n, status in resolved:
            added = (n, r.msg.sender_id) not in known
            if added:
                known.add((n, r.msg.sender_id))
                followers.append(_follower(n, r.msg, now))
                events.append(_event(n, r.msg.sender_id, "plus_one", status, status, r.text, now, public=False))
            r.reply = Reply(texts.joined_duplicate(number=n, category=r.c.category, status=status, added=added), n)

        add_followers(s, followers)
        add_events(s, events)
        outbox.enqueue_many(s, notices)


def _clocks(services: Services, now: datetime, category: str, urgent: bool) -> dict:
    """The two deadlines of a new ticket (handlers/sla.py)."""
    sla = services.rules.sla
    respond, rw = sla.respond_due(now, category, urgent)
    resolve, sw = sla.resolve_due(now, category, urgent)
    return {"respond_due_at": respond, "respond_working": rw, "due_at": resolve, "resolve_working": sw}


def _ticket_row(r: Request, assignee: str | None, now: datetime, services: Services) -> dict:
    c, msg = r.c, r.msg
    return {
        "grid_id": r.grid.id, "category": c.category, "urgent": c.urgent, "status": "open", "level": "grid",
        "text": r.text, "location": r.key[2], "keywords": list(c.keywords), "confidence": round(c.confidence, 3),
        "reporter_id": msg.sender_id, "reporter_name": msg.sender_name, "channel": msg.channel,
        "chat_id": msg.chat_id, "assignee": assignee, "department": None, "duplicate_of": None, "rating": None,
        "version": 1, "created_at": now, "updated_at": now, "resolved_at": None, "closed_at": None,
        **_clocks(services, now, c.category, c.urgent), "responded_at": None, "paused_at": None,
        "supervised": False, "reopen_count": 0, "rating_score": None, "rating_due_at": None,
    }


def _follower(number: int, msg: InboundMessage, now: datetime) -> dict:
    return {"ticket_id": number, "userid": msg.sender_id, "channel": msg.channel, "chat_id": msg.chat_id, "at": now}


def _event(number: int, actor: str, kind: str, old: str | None, new: str | None, text: str | None,
           now: datetime, *, public: bool) -> dict:
    return {"ticket_id": number, "at": now, "actor": actor, "kind": kind, "old_status": old, "new_status": new,
            "text": text, "public": public}
