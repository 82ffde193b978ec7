"""Inbound messages: stored exactly once per (channel, msg_id), with the reply they got.

This is the hot path of every webhook, so it works a batch at a time with prebuilt Core statements:
one multi-row insert for the batch, one executemany for the replies.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.models import Inbound

_T = Inbound.__table__
_KEY = ["channel", "msg_id"]
_INSERT = {
    "postgresql": postgresql.insert(_T).on_conflict_do_nothing(index_elements=_KEY),
    "sqlite": sqlite.insert(_T).on_conflict_do_nothing(index_elements=_KEY),
}
_STORED = select(_T.c.reply, _T.c.ticket_id).where(
    _T.c.channel == bindparam("channel"), _T.c.msg_id == bindparam("msg_id"))
_OUTCOME = update(_T).where(_T.c.id == bindparam("row_id")).values(
    reply=bindparam("reply"), ticket_id=bindparam("ticket"))


def insert_many(session: Session, rows: Sequence[dict]) -> dict[tuple[str, str], int]:
    """Insert the messages; returns the ids of those newly stored, by (channel, msg_id).

    ``INSERT … ON CONFLICT DO NOTHING RETURNING`` on both backends: a message already stored (a platform
    retry, or a concurrent delivery to another process, which the database makes wait for the first) is
    simply absent from the result.
    """
    if not rows:
        return {}
    stmt = _INSERT[session.get_bind().dialect.name].returning(_T.c.id, _T.c.channel, _T.c.msg_id)
    conn = session.connection()
    if len(rows) == 1:
        result = conn.execute(stmt.values(**rows[0])).all()
    else:
        result = conn.execute(stmt, list(rows)).all()
    return {(channel, msg_id): row_id for row_id, channel, msg_id in result}


def stored_reply(session: Session, channel: str, msg_id: str) -> tuple[str | None, int | None]:
    row = session.connection().execute(_STORED, {"channel": channel, "msg_id": msg_id}).one()
    return row[0], row[1]


def set_outcomes(session: Session, outcomes: Sequence[tuple[int, str | None, int | None]]) -> None:
    """Record (row id, reply text, ticket number) for the messages that got an answer."""
    if outcomes:
        session.connection().execute(
            _OUTCOME, [{"row_id": i, "reply": r, "ticket": t} for i, r, t in outcomes])
