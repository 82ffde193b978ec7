"""Writing to the outbox: a row per message to send, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session

from storage.models import Outbox
from storage.types import utcnow

_INSERT = insert(Outbox.__table__).returning(Outbox.__table__.c.id)


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
    now = utcnow()
    return session.connection().execute(_INSERT, {
        "target_kind": target_kind, "target": target, "msgtype": msgtype,
        "body": body if body is not None else {"content": text}, "dedup_key": dedup_key,
        "status": "pending", "attempts": 0, "next_attempt_at": not_before or now, "created_at": now,
    }).scalar_one()
