"""The AI bot's response_urls (storage.models.ReplyUrl): kept as messages bring them, taken once by a push."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage.models import ReplyUrl

# The platform keeps a response_url for an hour; a push is queued before it is sent, so keep a margin.
LIFETIME = timedelta(minutes=50)
MAX_URL = 200


def chat_key(chat_id: str | None, userid: str) -> str:
    return chat_id or f"user:{userid}"


def remember(session: Session, chat_id: str | None, userid: str, url: str, now: datetime) -> bool:
    """Keep one; False (nothing kept) for a URL too long to store. This conversation's expired ones are dropped
    here (by the index on chat_key, expires_at: a message's path must not scan the table)."""
    if len(url) > MAX_URL:
        return False
    key = chat_key(chat_id, userid)
    session.execute(delete(ReplyUrl).where(ReplyUrl.chat_key == key, col(ReplyUrl.expires_at) < now))
    session.add(ReplyUrl(chat_key=key, userid=userid, url=url, expires_at=now + LIFETIME))
    return True


def take(session: Session, chat_id: str | None, userid: str, now: datetime) -> str | None:
    """The newest usable URL into this conversation, marked used; None when there is none."""
    row = session.exec(
        select(ReplyUrl)
        .where(ReplyUrl.chat_key == chat_key(chat_id, userid), col(ReplyUrl.used_at).is_(None),
               col(ReplyUrl.expires_at) > now)
        .order_by(col(ReplyUrl.id).desc())
        .with_for_update(skip_locked=True)
    ).first()
    if row is None:
        return None
    row.used_at = now
    session.add(row)
    return row.url
