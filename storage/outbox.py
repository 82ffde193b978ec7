"""Writing to the outbox: a row per message to send, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.models import Outbox
from storage.types import utcnow


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
) -> Outbox:
    row = Outbox(
        target_kind=target_kind,
        target=target,
        msgtype=msgtype,
        body=body if body is not None else {"content": text},
        dedup_key=dedup_key,
        next_attempt_at=not_before or utcnow(),
    )
    session.add(row)
    return row
