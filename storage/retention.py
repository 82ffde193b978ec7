"""Retention: raw inbound messages are deleted after a while; closed tickets lose their personal data.

What stays are the figures: a ticket's grid, category, place key, times, status, rating and its history's
shape (who of the staff did what, when). What goes: residents' names, user ids and phone numbers (and any run
of seven or more digits, which is how identity card and phone numbers look) in the ticket, its events, its
followers and its recategorisations (``Correction``, kept as training data: the text stays, masked). A resident's
answer to a clarifying question (a correction without a ticket) ages with the raw messages: masked and
unattributed when they are deleted. Both work in chunks, each its own short transaction, so a first run over
years of data never holds locks for long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, select, update
from sqlmodel import Session, col

from storage.models import Attachment, Clarification, Correction, Inbound, Ticket, TicketEvent, TicketFollower

ANON = "anonymised"
CHUNK = 2000
_NUMBERS = re.compile(r"\d[\d\- ]{5,}\d")


def mask(text: str | None, names: tuple[str, ...] = ()) -> str | None:
    """``text`` with phone-like numbers and the given names replaced."""
    if text is None:
        return None
    text = _NUMBERS.sub("***", text)
    for name in names:
        if name:
            text = text.replace(name, "**")
    return text


@dataclass(frozen=True, slots=True)
class Outcome:
    inbound_deleted: int
    tickets_anonymised: int


def purge_inbound(engine: Engine, before: datetime) -> int:
    """Delete inbound messages received before ``before`` (and the clarifications that point at them)."""
    _mask_answers(engine, before)
    total = 0
    while True:
        with Session(engine) as s:
            ids = list(s.scalars(select(Inbound.id).where(col(Inbound.received_at) < before)
                                 .order_by(col(Inbound.id)).limit(CHUNK)))
            if not ids:
                return total
            s.execute(delete(Clarification).where(col(Clarification.inbound_id).in_(ids)))
            s.execute(delete(Inbound).where(col(Inbound.id).in_(ids)))
            s.commit()
        total += len(ids)


def _mask_answers(engine: Engine, before: datetime) -> None:
    """Residents' clarification answers (corrections without a ticket) made before ``before``: masked, no author."""
    while True:
        with Session(engine) as s:
            rows = list(s.scalars(select(Correction).where(
                col(Correction.ticket_id).is_(None), col(Correction.at) < before, Correction.actor != ANON)
                .order_by(col(Correction.id)).limit(CHUNK)))
            if not rows:
                return
            for c in rows:
                c.text, c.actor = mask(c.text) or "", ANON
            s.commit()


def anonymise_closed(engine: Engine, before: datetime) -> int:
    """Replace the personal data of tickets closed before ``before``; returns how many were done."""
    total = 0
    while True:
        with Session(engine) as s:
            tickets = list(s.scalars(select(Ticket).where(
                Ticket.status == "closed", col(Ticket.closed_at) < before, Ticket.reporter_id != ANON)
                .order_by(col(Ticket.id)).limit(CHUNK)))
            if not tickets:
                return total
            for t in tickets:
                _anonymise(s, t)
            s.commit()
        total += len(tickets)


def _anonymise(s: Session, t: Ticket) -> None:
    followers = list(s.scalars(select(TicketFollower).where(TicketFollower.ticket_id == t.id)))
    residents = {t.reporter_id} | {f.userid for f in followers}
    names = tuple(n for n in (t.reporter_name,) if n)
    for e in s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id)):
        e.text = mask(e.text, names)
        if e.actor in residents:
            e.actor = ANON
    for c in s.scalars(select(Correction).where(Correction.ticket_id == t.id)):
        c.text = mask(c.text, names) or ""
        if c.actor in residents:
            c.actor = ANON
    s.execute(delete(TicketFollower).where(TicketFollower.ticket_id == t.id))
    s.execute(update(Attachment).where(Attachment.ticket_id == t.id, col(Attachment.sender_id).in_(residents))
              .values(sender_id=ANON, chat_id=None, name=None).execution_options(synchronize_session=False))
    s.flush()
    for i, f in enumerate(followers):  # the count of followers stays, who they were does not
        s.add(TicketFollower(ticket_id=t.id, userid=f"{ANON}-{i + 1}", channel=f.channel, chat_id=None, at=f.at))
    t.text = mask(t.text, names) or ""
    t.reporter_id = ANON
    t.reporter_name = None
    t.chat_id = None
    t.version += 1


def run(engine: Engine, now: datetime, *, inbound_days: float, anonymise_closed_days: float) -> Outcome:
    from datetime import timedelta

    deleted = purge_inbound(engine, now - timedelta(days=inbound_days)) if inbound_days else 0
    done = anonymise_closed(engine, now - timedelta(days=anonymise_closed_days)) if anonymise_closed_days else 0
    return Outcome(deleted, done)
