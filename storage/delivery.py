"""The outbox from the sending side: claim due rows, mark them sent, retry later or give up.

Several workers (threads or processes) may share one outbox. A claim is one UPDATE that moves the rows'
``next_attempt_at`` past ``claim_until``: no other worker sees them as due until then, and a worker that
dies with rows claimed leaves them to be picked up again once the claim lapses. On PostgreSQL the candidate
rows are picked ``FOR UPDATE SKIP LOCKED`` so competing workers never wait on each other; on SQLite the
database serialises writers and the outer WHERE re-checks every row against the latest data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from storage.models import Outbox
from storage.outbox import enqueue


def claim(engine: Engine, now: datetime, claim_until: datetime, limit: int,
          skip_kinds: Sequence[str] = ()) -> list[Outbox]:
    """Due pending rows, oldest first, hidden from other workers until ``claim_until``; committed. Rows of
    ``skip_kinds`` stay for a worker that can send them now (the AI bot's connection is in one process)."""
    due = and_(Outbox.status == "pending", col(Outbox.next_attempt_at) <= now)
    if skip_kinds:
        due = and_(due, col(Outbox.target_kind).not_in(list(skip_kinds)))
    pick = select(Outbox.id).where(due).order_by(col(Outbox.next_attempt_at), col(Outbox.id)).limit(limit)
    if engine.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        update(Outbox)
        .where(col(Outbox.id).in_(pick.scalar_subquery()), due)
        .values(next_attempt_at=claim_until)
        .returning(Outbox.id)
    )
    with Session(engine, expire_on_commit=False) as s:
        ids = list(s.execute(stmt).scalars())
        rows = list(s.scalars(select(Outbox).where(col(Outbox.id).in_(ids)).order_by(col(Outbox.id)))) if ids else []
        s.commit()
    return rows


def _finish(engine: Engine, row_id: int, claim_until: datetime, **values) -> bool:
    """Update a row we still hold (pending, claim not taken over); False when someone else owns it now."""
    with Session(engine) as s:
        res = s.execute(
            update(Outbox)
            .where(Outbox.id == row_id, Outbox.status == "pending", Outbox.next_attempt_at == claim_until)
            .values(**values)
        )
        s.commit()
        return res.rowcount == 1


def mark_sent(engine: Engine, row: Outbox, claim_until: datetime, now: datetime, msgid: str | None = None) -> bool:
    """Sent; ``msgid`` is the platform's id of the message (app messages), what message/recall takes."""
    return _finish(engine, row.id, claim_until, status="sent", sent_at=now, attempts=row.attempts + 1,
                   last_error=None, msgid=msgid[:128] if msgid else None)


def mark_retry(engine: Engine, row: Outbox, claim_until: datetime, at: datetime, error: str,
               *, count: bool = True) -> bool:
    """Try again at ``at``; ``count=False`` for a deferral that was no failure (our own rate limit)."""
    return _finish(engine, row.id, claim_until, next_attempt_at=at, last_error=error[:2000],
                   attempts=row.attempts + (1 if count else 0))


def mark_dead(engine: Engine, row: Outbox, claim_until: datetime, error: str) -> bool:
    return _finish(engine, row.id, claim_until, status="dead", attempts=row.attempts + 1, last_error=error[:2000])


def enqueue_once(session: Session, dedup_key: str, target_kind: str, target: str, text: str, **kw) -> bool:
    """Enqueue unless a row with ``dedup_key`` exists: a job that runs twice pushes once. The caller commits."""
    exists = session.scalars(select(Outbox.id).where(Outbox.dedup_key == dedup_key)).first()
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            enqueue(session, target_kind, target, text, dedup_key=dedup_key, **kw)
    except IntegrityError:  # another process enqueued it a moment ago
        return False
    return True


def counts(session: Session) -> dict[str, int]:
    from sqlalchemy import func

    rows = session.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()
    return {status: n for status, n in rows}


def requeue(session: Session, ids: Sequence[int] | None, now: datetime) -> int:
    """Dead rows back to pending (after fixing the configuration that killed them); all dead ones if no ids."""
    stmt = update(Outbox).where(Outbox.status == "dead")
    if ids:
        stmt = stmt.where(col(Outbox.id).in_(list(ids)))
    return session.execute(stmt.values(status="pending", next_attempt_at=now, attempts=0)).rowcount


def failed(session: Session, limit: int = 100) -> list[Outbox]:
    """Rows given up (status ``dead``), newest first, with the reason in ``last_error``."""
    return list(session.scalars(select(Outbox).where(Outbox.status == "dead")
                                .order_by(col(Outbox.id).desc()).limit(limit)))


def failed_count(session: Session, start: datetime, end: datetime) -> int:
    """How many rows made in [start, end) were given up."""
    from sqlalchemy import func

    return session.execute(select(func.count()).select_from(Outbox).where(
        Outbox.status == "dead", col(Outbox.created_at) >= start, col(Outbox.created_at) < end)).scalar_one()
