"""Attachment rows: written with their message, fetched in the background, linked to tickets, purged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, func, or_, update
from sqlmodel import Session, col, select

from storage.fastpath import Writer
from storage.models import Attachment, Ticket, TicketEvent, TicketFollower

FETCHABLE = ("wecom_media", "url", "aibot_url", "inline")
# a staff member's step on a ticket after which their photo belongs to it ("resolved": as the result)
STAFF_STEPS = ("accepted", "progress", "follow_up", "mediation_result", "resolved")


def for_ticket(session: Session, ticket_id: int) -> list[Attachment]:
    """A ticket's attachments in the order they came (K in ``gridbot tickets attachment N K`` is 1-based)."""
    return list(session.exec(
        select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(col(Attachment.id))).all())


def waiting(session: Session, channel: str, chat_id: str | None, sender_id: str, since: datetime) -> list[Attachment]:
    """What a sender sent in this chat since ``since`` that waits for its text (no ticket yet)."""
    stmt = select(Attachment).where(
        Attachment.sender_id == sender_id, Attachment.channel == channel,
        Attachment.chat_id == chat_id if chat_id is not None else col(Attachment.chat_id).is_(None),
        col(Attachment.ticket_id).is_(None), Attachment.created_at >= since,
        Attachment.status != "refused",
    ).order_by(col(Attachment.id))
    return list(session.exec(stmt).all())


def waiting_senders(session: Session, since: datetime) -> set[tuple[str, str | None, str]]:
    """(channel, chat, sender) of everyone with something waiting: read once per batch, almost always empty."""
    w = Writer(session.connection())  # driver SQL: this runs for every batch that opens a ticket
    rows = w.query("SELECT DISTINCT channel, chat_id, sender_id FROM attachment"
                   " WHERE ticket_id IS NULL AND created_at >= ? AND status <> 'refused'", [w.ts(since)])
    return {tuple(r) for r in rows}


def recent_ticket(session: Session, channel: str, chat_id: str | None, sender_id: str,
                  since: datetime) -> tuple[int, str] | None:
    """The ticket this sender last acted on here since ``since``, and how: ("report", n) for a request they
    opened or joined in this chat or a staff step they took on it (a progress note, a follow-up visit ...),
    ("result", n) for a 办结 they gave; the newest wins."""
    f = TicketFollower
    joined = session.exec(
        select(f.ticket_id, f.at).where(
            f.userid == sender_id, f.channel == channel,
            f.chat_id == chat_id if chat_id is not None else col(f.chat_id).is_(None), f.at >= since)
        .order_by(col(f.at).desc()).limit(1)).first()
    e = TicketEvent
    acted = session.exec(
        select(e.ticket_id, e.at, e.kind).where(e.actor == sender_id, col(e.kind).in_(STAFF_STEPS), e.at >= since)
        .order_by(col(e.at).desc(), col(e.id).desc()).limit(1)).first()
    if acted is not None and (joined is None or acted[1] >= joined[1]):
        return ("result" if acted[2] == "resolved" else "report", acted[0])
    if joined is not None:
        return ("report", joined[0])
    return None


def link(session: Session, ids: Sequence[int], ticket_id: int, role: str) -> None:
    if ids:
        session.execute(update(Attachment).where(col(Attachment.id).in_(list(ids)))
                        .values(ticket_id=ticket_id, role=role).execution_options(synchronize_session=False))


# --- the background fetch -------------------------------------------------------------------------------------


def claim(engine: Engine, now: datetime, until: datetime, limit: int) -> list[Attachment]:
    """Due pending rows, each claimed (its next attempt moved to ``until``) by one conditional update, so two
    processes never fetch the same one."""
    with Session(engine, expire_on_commit=False) as s:
        rows = s.exec(select(Attachment).where(Attachment.status == "pending", Attachment.next_attempt_at <= now)
                      .order_by(col(Attachment.id)).limit(limit)).all()
        claimed = []
        for row in rows:
            res = s.execute(update(Attachment).where(Attachment.id == row.id, Attachment.status == "pending",
                                                     Attachment.next_attempt_at == row.next_attempt_at)
                            .values(next_attempt_at=until).execution_options(synchronize_session=False))
            if res.rowcount == 1:
                row.next_attempt_at = until
                claimed.append(row)
        s.commit()
        return claimed


def mark_stored(session: Session, att_id: int, *, sha256: str, content_type: str, size: int,
                now: datetime) -> None:
    session.execute(update(Attachment).where(Attachment.id == att_id).values(
        status="stored", sha256=sha256, content_type=content_type, size=size, stored_at=now, inline=None,
        reason=None, attempts=Attachment.attempts + 1).execution_options(synchronize_session=False))


def mark_refused(session: Session, att_id: int, reason: str, *, status: str = "refused",
                 size: int | None = None, content_type: str | None = None) -> None:
    session.execute(update(Attachment).where(Attachment.id == att_id).values(
        status=status, reason=reason, inline=None, size=size, content_type=content_type,
        attempts=Attachment.attempts + 1).execution_options(synchronize_session=False))


def mark_retry(session: Session, att_id: int, reason: str, at: datetime) -> None:
    session.execute(update(Attachment).where(Attachment.id == att_id).values(
        reason=reason, next_attempt_at=at, attempts=Attachment.attempts + 1)
        .execution_options(synchronize_session=False))


# --- retention --------------------------------------------------------------------------------------------------


def purgeable(session: Session, closed_before: datetime) -> list[Attachment]:
    """Stored attachments of tickets closed before ``closed_before`` (and of duplicates merged since then), and
    those that never found a ticket and are as old."""
    stmt = (select(Attachment).outerjoin(Ticket, Ticket.id == Attachment.ticket_id)
            .where(Attachment.status == "stored",
                   or_(Ticket.closed_at < closed_before,
                       (Ticket.status == "duplicate") & (Ticket.updated_at < closed_before),
                       col(Attachment.ticket_id).is_(None) & (Attachment.created_at < closed_before))))
    return list(session.exec(stmt).all())


def sha_in_use(session: Session, sha256: str, besides: Sequence[int]) -> bool:
    n = session.exec(select(func.count()).select_from(Attachment).where(
        Attachment.sha256 == sha256, Attachment.status == "stored",
        col(Attachment.id).not_in(list(besides)))).one()
    return n > 0


def mark_purged(session: Session, ids: Sequence[int], now: datetime) -> None:
    if ids:
        session.execute(update(Attachment).where(col(Attachment.id).in_(list(ids))).values(
            status="purged", reason=f"retention purge {now.isoformat(timespec='seconds')}")
            .execution_options(synchronize_session=False))
