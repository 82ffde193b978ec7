"""Queries on tickets and their history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.fastpath import Writer, any_of
from storage.models import Ticket, TicketEvent, TicketFollower
from storage.types import utcnow

OPEN_STATUSES = ("open", "accepted", "in_progress", "in_mediation", "escalated", "reopened", "paused")


_T = Ticket.__table__
_F = TicketFollower.__table__
_INSERT_TICKETS = insert(_T).returning(_T.c.id, sort_by_parameter_order=True)

DuplicateKey = tuple[str, str, str]  # (grid id, category, location key)


def same_building_forms(key: str) -> tuple[str, ...]:
    """The coarser forms of a location key (``nlp.Location.key``: "b3|u2|g:门口" → "b3", "b3|u2") under which
    another report of the same problem is the same place. Only keys that name a building widen, and never one
    that names a room: a flat's leak is its own ticket."""
    parts = key.split("|")
    return tuple("|".join(parts[:i]) for i in range(1, len(parts))) if _widens(key) else ()


def _widens(key: str) -> bool:
    parts = key.split("|")
    return parts[0].startswith("b") and not any(p.startswith("r") for p in parts)


def same_place(wanted: str, found: str) -> bool:
    """Whether an open ticket at ``found`` is at the place ``wanted`` names: the same key, or one is the other
    with more detail ("3号楼" and "3号楼2单元门口"), neither naming a room."""
    if wanted == found:
        return True
    return found in same_building_forms(wanted) or wanted in same_building_forms(found)


def open_duplicates(session: Session, keys: set[DuplicateKey], since: datetime) -> dict[DuplicateKey, tuple[int, str]]:
    """For each (grid, category, place), the newest open ticket created since ``since``: (number, status).

    One query for a whole batch of new requests; a report of the same problem joins that ticket. The place
    matches as ``same_place`` says: "3号楼充电桩坏了 +1" joins "3号楼2单元门口的充电桩坏了"."""
    keys = sorted(k for k in keys if k[2])
    if not keys:
        return {}
    w = Writer(session.connection())
    terms, params = [], []
    for g, c, loc in keys:
        places = [loc, *same_building_forms(loc)]
        # OR of equalities rather than a tuple IN: SQLite then searches ix_ticket_duplicate once per place
        # instead of scanning every open ticket of the grid; finer forms by a prefix within the grid and category
        where = " OR ".join(["location = ?"] * len(places))
        if _widens(loc):
            where += r" OR location LIKE ? ESCAPE '\'"
            places.append(_like_escape(loc) + "|%")
        terms.append(f"grid_id = ? AND category = ? AND created_at >= ? AND ({where})")
        params += [g, c, w.ts(since), *places]
    rows = w.query(
        f"SELECT id, grid_id, category, location, status FROM ticket WHERE ({' OR '.join(f'({x})' for x in terms)})"
        f" AND status IN ({', '.join('?' * len(OPEN_STATUSES))}) ORDER BY id",
        [*params, *OPEN_STATUSES])
    found: dict[DuplicateKey, tuple[int, str]] = {}
    for number, g, c, loc, status in rows:  # ordered by id: the newest wins
        for key in keys:
            if key[0] == g and key[1] == c and same_place(key[2], loc):
                found[key] = (number, status)
    return found


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def insert_tickets(session: Session, rows: list[dict]) -> list[int]:
    """Insert tickets in one statement; their numbers, in the order given."""
    if not rows:
        return []
    conn = session.connection()
    if len(rows) == 1:
        return [conn.execute(_INSERT_TICKETS.values(**rows[0])).scalar_one()]
    return list(conn.execute(_INSERT_TICKETS, rows).scalars())


def already_following(session: Session, pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of the (ticket, userid) pairs are followers already."""
    if not pairs:
        return set()
    rows = Writer(session.connection()).query(
        f"SELECT ticket_id, userid FROM ticket_follower WHERE {any_of('ticket_id = ? AND userid = ?', len(pairs))}",
        [v for pair in sorted(pairs) for v in pair])
    return {(t, u) for t, u in rows}


def add_followers(session: Session, rows: list[dict]) -> None:
    """Insert followers (dicts with ticket_id, userid, channel, chat_id, at), ignoring any a concurrent
    process added a moment ago."""
    w = Writer(session.connection())
    w.many("INSERT INTO ticket_follower (ticket_id, userid, channel, chat_id, at) VALUES (?, ?, ?, ?, ?)"
           " ON CONFLICT (ticket_id, userid) DO NOTHING",
           [(r["ticket_id"], r["userid"], r["channel"], r["chat_id"], w.ts(r["at"])) for r in rows])


def add_events(session: Session, rows: list[dict]) -> None:
    """Append to tickets' histories in one executemany (dicts with every TicketEvent column but id)."""
    w = Writer(session.connection())
    w.many("INSERT INTO ticket_event (ticket_id, at, actor, kind, old_status, new_status, text, public, changes)"
           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
           [(r["ticket_id"], w.ts(r["at"]), r["actor"], r["kind"], r["old_status"], r["new_status"], r["text"],
             r["public"], w.json(r["changes"]) if r.get("changes") else None) for r in rows])


def latest_event(session: Session, ticket_id: int, *, public_only: bool = True) -> TicketEvent | None:
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
    if public_only:
        stmt = stmt.where(TicketEvent.public == True)  # noqa: E712
    return session.exec(stmt.order_by(col(TicketEvent.id).desc())).first()


def events(session: Session, ticket_id: int) -> list[TicketEvent]:
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(col(TicketEvent.id))
    return list(session.exec(stmt).all())


def open_tickets_of(session: Session, userid: str, limit: int = 10) -> list[Ticket]:
    """Tickets the person reported or follows that are not done: open ones, and resolved ones waiting for
    the rating."""
    followed = select(TicketFollower.ticket_id).where(TicketFollower.userid == userid)
    stmt = (
        select(Ticket)
        .where(col(Ticket.id).in_(followed), col(Ticket.status).in_((*OPEN_STATUSES, "resolved")))
        .order_by(col(Ticket.id).desc())
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def awaiting_rating(session: Session, reporter_id: str, limit: int = 5) -> list[int]:
    """Numbers of the resolved tickets this person reported that wait for their rating, oldest first."""
    stmt = (select(Ticket.id).where(Ticket.reporter_id == reporter_id, Ticket.status == "resolved")
            .order_by(col(Ticket.id)).limit(limit))
    return list(session.exec(stmt).all())


def follow(session: Session, ticket_id: int, userid: str, channel: str, chat_id: str | None,
           at: datetime | None = None) -> bool:
    """Add a follower; False when they already follow it."""
    session.flush()  # followers added as ORM objects earlier in this transaction count too
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(TicketFollower.__table__)
    inserted = session.connection().execute(
        ins.on_conflict_do_nothing(index_elements=["ticket_id", "userid"]).returning(_F.c.ticket_id),
        {"ticket_id": ticket_id, "userid": userid, "channel": channel, "chat_id": chat_id, "at": at or utcnow()},
    ).first()
    return inserted is not None  # RETURNING, not rowcount: psycopg reports -1 for this statement


def followers(session: Session, ticket_id: int) -> list[TicketFollower]:
    return list(session.exec(select(TicketFollower).where(TicketFollower.ticket_id == ticket_id)).all())


def list_tickets(session: Session, *, status: str | None = None, grid_id: str | None = None,
                 limit: int = 200) -> list[Ticket]:
    stmt = select(Ticket)
    if status:
        stmt = stmt.where(Ticket.status == status)
    if grid_id:
        stmt = stmt.where(Ticket.grid_id == grid_id)
    return list(session.exec(stmt.order_by(col(Ticket.id).desc()).limit(limit)).all())


def is_follower(session: Session, ticket_id: int, userid: str) -> bool:
    return session.get(TicketFollower, (ticket_id, userid)) is not None


def survivor(session: Session, t: Ticket) -> Ticket:
    """The ticket a merged one lives on in (following chains of merges)."""
    seen = {t.id}
    while t.status == "duplicate" and t.duplicate_of and t.duplicate_of not in seen:
        nxt = session.get(Ticket, t.duplicate_of)
        if nxt is None:
            break
        seen.add(nxt.id)
        t = nxt
    return t
