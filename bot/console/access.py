"""Who is logged in, what they may see (exactly the chat's rules), and the audit log of what they did."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from aiohttp import web
from sqlmodel import Session

from handlers.context import Context
from handlers.messages import InboundMessage
from handlers.permissions import NOTE_TAKER, scope_grids
from storage.board import Access
from storage.db import session_factory
from storage.models import ConsoleAudit, Member, Ticket
from storage.types import utcnow

log = logging.getLogger("gridbot.console")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Staff:
    userid: str
    name: str
    role: str
    grids: frozenset[str] | None  # None: every grid
    department: str | None
    community_id: str | None
    street_id: str | None

    @property
    def access(self) -> Access:
        return Access(self.grids, self.department if self.role == "department" else None, self.userid)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def rule_context(session: Session, member: Member, now: datetime | None = None) -> Context:
    """A context for asking the chat's permission rules about this person (no message is handled)."""
    now = now or utcnow()
    msg = InboundMessage(channel="console", msg_id="-", sender_id=member.userid, text="", sent_at=now)
    return Context(session=session, services=None, msg=msg, inbound_id=0, member=member, grid=None,  # type: ignore[arg-type]
                   now=now)


def load_staff(session: Session, userid: str) -> Staff | None:
    m = session.get(Member, userid)
    if m is None or m.role == "resident":
        return None
    grids = scope_grids(rule_context(session, m))
    return Staff(m.userid, m.name, m.role, None if grids is None else frozenset(grids), m.department,
                 m.community_id, m.street_id)


def may_view(session: Session, userid: str, ticket: Ticket) -> str | None:
    """None when the person may see the ticket (the rule of 进度 notes: staff in scope), else the reason."""
    m = session.get(Member, userid)
    if m is None:
        return "请先登录。"
    return NOTE_TAKER.deny(rule_context(session, m), ticket)


def audit(session: Session, actor: str, action: str, target: str, outcome: str, detail: str | None = None,
          remote: str | None = None) -> None:
    session.add(ConsoleAudit(actor=actor, action=action, target=target, outcome=outcome, detail=detail,
                             remote=remote, at=utcnow()))
    log.info("console.audit actor=%s action=%s target=%s outcome=%s", actor, action, target, outcome)


class Db:
    """Runs blocking database work off the event loop, one session per call."""

    def __init__(self, engine) -> None:
        self._sessions = session_factory(engine)

    async def __call__(self, fn: Callable[[Session], T], *, commit: bool = False) -> T:
        def work() -> T:
            with self._sessions() as s:
                out = fn(s)
                if commit:
                    s.commit()
                return out

        return await asyncio.to_thread(work)


class Refused(web.HTTPForbidden):
    """403 for a page or action outside one's scope; the middleware logs and audits it."""

    def __init__(self, reason: str, *, action: str = "view", target: str = "") -> None:
        super().__init__()
        self.reason_text = reason
        self.action = action
        self.target = target
