"""Small builders for push tests: tickets as a grid would have them, and the outbox as it stands."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlmodel import Session, select

from storage.models import Outbox, Ticket, TicketFollower

_n = itertools.count(1)


def ticket(engine, *, now: datetime, category: str = "charging", status: str = "open", grid: str = "quehua-1",
           assignee: str | None = "zhangwei", age: timedelta = timedelta(hours=1),
           due_in: timedelta = timedelta(hours=48), resolved_ago: timedelta | None = None,
           rating: str | None = None, channel: str = "bridge", chat_id: str | None = "bridge-quehua-1",
           reporter: str = "zhaomin") -> int:
    created = now - age
    with Session(engine) as s:
        t = Ticket(grid_id=grid, category=category, status=status, text=f"测试诉求{next(_n)}", reporter_id=reporter,
                   channel=channel, chat_id=chat_id, assignee=assignee, due_at=now + due_in, created_at=created,
                   updated_at=created, rating=rating,
                   resolved_at=now - resolved_ago if resolved_ago is not None else None)
        s.add(t)
        s.flush()
        s.add(TicketFollower(ticket_id=t.id, userid=reporter, channel=channel, chat_id=chat_id, at=created))
        s.commit()
        return t.id


def outbox(engine) -> list[Outbox]:
    with Session(engine) as s:
        return list(s.exec(select(Outbox).order_by(Outbox.id)).all())
