"""Writing to the outbox: a row per message to send, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session

from storage.fastpath import Writer
from storage.models import Outbox
from storage.types import utcnow

_INSERT = insert(Outbox.__table__).returning(Outbox.__table__.c.id)
_COLUMNS = ("target_kind", "target", "msgtype", "body", "dedup_key", "status", "attempts", "next_attempt_at",
            "created_at", "sent_at", "last_error")


# Targets that are credentials themselves: a robot's key, an AI bot response_url. Logs and listings name the
# kind only.
SECRET_TARGETS = frozenset({"robot", "aibot_reply"})


def shown_target(row: Outbox) -> str:
    return row.target_kind if row.target_kind in SECRET_TARGETS else f"{row.target_kind}:{row.target}"


def row(target_kind: str, target: str, text: str, *, msgtype: str = "text", body: dict | None = None,
        not_before: datetime | None = None, dedup_key: str | None = None, now: datetime | None = None) -> dict:
    """An outbox row as a dict, for ``enqueue_many``."""
    now = now or utcnow()
    return {
        "target_kind": target_kind, "target": target, "msgtype": msgtype,
        "body": body if body is not None else {"content": text}, "dedup_key": dedup_key,
        "status": "pending", "attempts": 0, "next_attempt_at": not_before or now, "created_at": now,
        "sent_at": None, "last_error": None,
    }


def enqueue_many(session: Session, rows: list[dict]) -> None:
    """Add several messages in one executemany (rows made by ``row``): the webhook's notices to grid workers."""
    w = Writer(session.connection())
    w.many(f"INSERT INTO outbox ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
           [(r["target_kind"], r["target"], r["msgtype"], w.json(r["body"]), r["dedup_key"], r["status"],
             r["attempts"], w.ts(r["next_attempt_at"]), w.ts(r["created_at"]), w.ts(r["sent_at"]),
             r["last_error"]) for r in rows])


def enqueue(
    session: Session,
    target_kind: str,
    target: str,
    text: str,
    *,
    msgtype: str = "text",
    body: dict | None = None,
    not_before: datetime | None = None,
    dedup_key: str | None = None,
) -> int:
    """Add a message to send; returns its outbox id. Core insert: it runs on the webhook's hot path."""
    values = row(target_kind, target, text, msgtype=msgtype, body=body, not_before=not_before,
                 dedup_key=dedup_key)
    return session.connection().execute(_INSERT, values).scalar_one()
