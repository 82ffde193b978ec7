"""The bridge's own id space: a bridge sender is ``bridge:<id>``; how the bridge names one of our people."""

from __future__ import annotations

from sqlmodel import Session, select

from handlers.settings import TicketRules
from storage.models import BridgeLink

PREFIX = "bridge:"


def bridge_handle(session: Session, userid: str, rules: TicketRules) -> str:
    """How the bridge names a person we call ``userid`` (for @-mentions in bridged chats)."""
    if userid.startswith(PREFIX):
        return userid[len(PREFIX):]
    for raw, uid in rules.bridge_members:
        if uid == userid:
            return raw
    raw = session.exec(select(BridgeLink.bridge_id).where(BridgeLink.userid == userid)).first()
    return raw or userid
