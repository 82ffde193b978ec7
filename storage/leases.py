"""Named leases: one holder at a time (e.g. the process that runs the scheduler), taken over when it lapses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import Lease


def acquire(session: Session, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
    """Take or renew ``name`` for ``holder`` until ``now + ttl``; False while someone else holds it.

    One conditional UPDATE decides between competitors (the database serialises it); the first holder of a
    name inserts the row. The caller commits.
    """
    expires = now + ttl
    res = session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
        .values(holder=holder, expires_at=expires)
    )
    if res.rowcount == 1:
        return True
    if session.get(Lease, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Lease(name=name, holder=holder, expires_at=expires))
    except IntegrityError:  # another process inserted it a moment ago
        return False
    return True


def release(session: Session, name: str, holder: str, now: datetime) -> None:
    """Let the lease lapse at once so another process takes over without waiting for it to expire."""
    session.execute(
        update(Lease).where(Lease.name == name, Lease.holder == holder).values(expires_at=now - timedelta(seconds=1))
    )


def holder_of(session: Session, name: str, now: datetime) -> str | None:
    lease = session.get(Lease, name)
    return lease.holder if lease is not None and lease.expires_at >= now else None


@dataclass(frozen=True, slots=True)
class Keeper:
    """One process's hold on one lease, each call in its own committed transaction (blocking: run it in a
    thread from async code). The scheduler and the AI bot's connection each keep one."""

    engine: Engine
    name: str
    holder: str
    ttl: Callable[[], timedelta]  # read each time: tests and config may change it
    clock: Callable[[], datetime]

    def acquire(self) -> bool:
        with Session(self.engine) as s:
            ok = acquire(s, self.name, self.holder, self.ttl(), self.clock())
            s.commit()
        return ok

    def release(self) -> None:
        with Session(self.engine) as s:
            release(s, self.name, self.holder, self.clock())
            s.commit()
