"""Inbound messages: stored exactly once per (channel, msg_id), with the reply they got.

This is the hot path of every webhook, so it works a batch at a time through ``storage.fastpath``: one
multi-row insert for the batch, one executemany for the replies.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlmodel import Session

from storage.fastpath import Writer
from storage.models import Inbound

_T = Inbound.__table__
_STORED = select(_T.c.reply, _T.c.ticket_id).where(
    _T.c.channel == bindparam("channel"), _T.c.msg_id == bindparam("msg_id"))
COLUMNS = ("channel", "msg_id", "chat_id", "sender_id", "sender_name", "text", "sent_at", "received_at", "grid_id")


def insert_many(session: Session, rows: Sequence[dict]) -> dict[tuple[str, str], int]:
    """Insert the messages (dicts with ``COLUMNS``); returns the ids of those newly stored, by (channel, msg_id).

    ``INSERT … ON CONFLICT DO NOTHING RETURNING`` on both backends: a message already stored (a platform
    retry, or a concurrent delivery to another process, which the database makes wait for the first) is
    simply absent from the result.
    """
    w = Writer(session.connection())
    result = w.values(
        f"INSERT INTO inbound ({', '.join(COLUMNS)})",
        "ON CONFLICT (channel, msg_id) DO NOTHING RETURNING id, channel, msg_id",
        [(r["channel"], r["msg_id"], r["chat_id"], r["sender_id"], r["sender_name"], r["text"],
          w.ts(r["sent_at"]), w.ts(r["received_at"]), r["grid_id"]) for r in rows])
    return {(channel, msg_id): row_id for row_id, channel, msg_id in result}


def stored_reply(session: Session, channel: str, msg_id: str) -> tuple[str | None, int | None]:
    row = session.connection().execute(_STORED, {"channel": channel, "msg_id": msg_id}).one()
    return row[0], row[1]


def set_outcomes(session: Session, outcomes: Sequence[tuple[int, str | None, int | None]]) -> None:
    """Record (row id, reply text, ticket number) for the messages that got an answer."""
    Writer(session.connection()).many("UPDATE inbound SET reply = ?, ticket_id = ? WHERE id = ?",
                                      [(r, t, i) for i, r, t in outcomes])
