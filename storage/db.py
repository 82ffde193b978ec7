"""Engines and sessions.

SQLite is the embedded default (WAL, full fsync at commit so a reply never precedes a durable write);
PostgreSQL is the scale-out store. Both are driven through the synchronous SQLAlchemy API: the web edge
funnels writes through one worker thread that groups concurrent requests into one commit.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

log = logging.getLogger(__name__)


def normalise_url(url: str) -> str:
    """Map the user-facing URL to the driver we ship: ``postgresql://`` → psycopg 3."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def make_engine(url: str, *, echo: bool = False, wal_autocheckpoint: bool = True,
                busy_timeout: float = 30.0) -> Engine:
    """``wal_autocheckpoint=False``: this engine's commits never copy the WAL back into the database file
    themselves; a ``WalCheckpointer`` must then run beside it (the server does), else the WAL keeps growing.
    ``busy_timeout``: how long a SQLite statement waits for another process's lock before it fails (the
    server keeps it under the platforms' 5 s deadline: ``[storage] busy_timeout_seconds``).

    Errors never carry the statement's parameters (``hide_parameters``): they are residents' names and texts,
    and exceptions end up in logs."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, hide_parameters=True,
                               connect_args={"check_same_thread": False, "timeout": busy_timeout})
        event.listen(engine, "connect", _sqlite_pragmas(wal_autocheckpoint, busy_timeout))
        return engine
    return create_engine(url, echo=echo, hide_parameters=True, pool_pre_ping=True, pool_size=5, max_overflow=5)


def is_sqlite(url: str) -> bool:
    return normalise_url(url).startswith("sqlite")


def _sqlite_pragmas(wal_autocheckpoint: bool, busy_timeout: float):
    def on_connect(dbapi_conn, _record) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        if not wal_autocheckpoint:
            cur.execute("PRAGMA wal_autocheckpoint=0")
        cur.close()

    return on_connect


class WalCheckpointer:
    """Copies SQLite's WAL back into the database file from a thread of its own.

    By default the commit that fills the WAL past 1,000 pages does this copy (and its fsync) itself, and
    every request of that batch waits: at load that was most of the webhook's p99. A PASSIVE checkpoint
    here takes no lock that writers wait on; what it cannot copy yet it copies next time.
    """

    def __init__(self, engine: Engine, interval: float = 1.0) -> None:
        self._engine = engine
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gridbot-wal-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.checkpoint()  # leave a short WAL behind

    def checkpoint(self) -> None:
        try:
            with self._engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:  # noqa: BLE001 - a missed checkpoint is retried on the next tick
            log.exception("sqlite.checkpoint_failed")

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.checkpoint()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, class_=Session, expire_on_commit=False)
