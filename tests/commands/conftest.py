"""Fixtures for the staff-command stories: the demo organisation plus a second grid worker, a deterministic
classifier (these tests are about commands, not about classification), helpers to look into the database."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.config import MemberConfig
from nlp import Classification, Location
from storage.models import Correction, Outbox, Ticket, TicketEvent, TicketFollower

FENGHUANG = "bridge-fenghuang-3"


class StubClassifier:
    """Keyword → category; "N号楼" → building N. Enough to open the tickets the stories need."""

    WORDS = (("调解", "dispute"), ("吵", "dispute"), ("充电桩", "charging"), ("路灯", "roads"),
             ("垃圾", "waste"), ("停车", "parking"), ("煤气", "safety"))

    def classify(self, text: str) -> Classification:
        category = next((c for w, c in self.WORDS if w in text), "none")
        m = re.search(r"(\d+)号楼", text)
        loc = Location(building=int(m.group(1))) if m else Location()
        return Classification(category=category, urgent="煤气" in text, keywords=(), location=loc,
                              confidence=0.95 if category != "none" else 0.9)


@pytest.fixture(scope="session")
def classifier():
    return StubClassifier()


@pytest.fixture
def config(config):
    """The demo organisation, plus zhaolei: a second grid worker of quehua-1."""
    extra = MemberConfig(userid="zhaolei", name="赵磊", role="grid_worker", grid="quehua-1")
    return config.model_copy(update={"org": config.org.model_copy(update={"members": [*config.org.members, extra]})})


@dataclass
class Db:
    engine: object

    def ticket(self, n: int) -> Ticket:
        with Session(self.engine) as s:
            return s.get(Ticket, n)

    def events(self, n: int) -> list[TicketEvent]:
        with Session(self.engine) as s:
            return list(s.exec(select(TicketEvent).where(TicketEvent.ticket_id == n)
                               .order_by(col(TicketEvent.id))).all())

    def kinds(self, n: int) -> list[str]:
        return [e.kind for e in self.events(n)]

    def dms(self, userid: str) -> list[str]:
        """Direct messages written to the outbox for a staff member."""
        with Session(self.engine) as s:
            rows = s.exec(select(Outbox).where(Outbox.target_kind == "user", Outbox.target == userid)
                          .order_by(col(Outbox.id))).all()
            return [r.body["content"] for r in rows]

    def pushes(self, chat_id: str = "bridge-quehua-1") -> list[str]:
        """Messages written to the outbox for a bridged group (what followers see there)."""
        with Session(self.engine) as s:
            rows = s.exec(select(Outbox).where(Outbox.target_kind == "bridge", Outbox.target == chat_id)
                          .order_by(col(Outbox.id))).all()
            return [r.body["content"] for r in rows]

    def followers(self, n: int) -> set[str]:
        with Session(self.engine) as s:
            return set(s.exec(select(TicketFollower.userid).where(TicketFollower.ticket_id == n)).all())

    def corrections(self) -> list[Correction]:
        with Session(self.engine) as s:
            return list(s.exec(select(Correction)).all())

    def count(self, model) -> int:
        with Session(self.engine) as s:
            return s.exec(select(func.count()).select_from(model)).one()

    def count_all(self) -> tuple[int, ...]:
        """Rows of every table a command may write (outbox pushes included)."""
        from storage.models import GridChat, ListEntry, TicketFollower

        return tuple(self.count(m) for m in (Ticket, TicketEvent, TicketFollower, Outbox, Correction, ListEntry,
                                             GridChat))

    def set(self, n: int, **values) -> None:
        """Put a ticket into a state directly (to test a step from every status)."""
        with Session(self.engine) as s:
            s.execute(update(Ticket).where(col(Ticket.id) == n).values(**values))
            s.commit()

    def snapshot(self, n: int) -> tuple:
        t = self.ticket(n)
        return (t.status, t.version, t.level, t.assignee, t.department, t.category, t.duplicate_of, t.rating,
                len(self.events(n)))


@pytest.fixture
def db(engine) -> Db:
    return Db(engine)


@pytest.fixture
def fenghuang(group):
    """A person in fenghuang-3's group (another community, another street)."""
    return type(group)(group.client, FENGHUANG)


@pytest.fixture
def report(group):
    """A resident reports in quehua-1's group; returns the ticket number."""

    async def report(text: str = "3号楼充电桩坏了", sender: str = "zhaomin") -> int:
        said = await group.say(text, sender=sender)
        assert said.ticket is not None, said.reply
        return said.ticket

    return report
