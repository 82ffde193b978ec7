"""Pushes written to the outbox: who is reached how, decided when the change happens."""

from __future__ import annotations

import logging

from sqlmodel import Session

from storage import org
from storage.models import Grid, Ticket, TicketFollower
from storage.outbox import enqueue
from storage.tickets import followers

log = logging.getLogger(__name__)


def route(session: Session, channel: str, userid: str, chat_id: str | None) -> tuple[str, str] | None:
    """Where a person who wrote on ``channel`` (in ``chat_id``, or 1:1) can be reached later."""
    if channel == "bridge":
        return ("bridge", chat_id or userid)
    if chat_id:
        grid = org.grid_for_chat(session, chat_id)
        if grid is not None and grid.robot_key:
            return ("robot", grid.robot_key)
        if channel == "wecom_app":
            return ("appchat", chat_id)
        return None
    return ("user", userid)


def grid_group(grid: Grid) -> tuple[str, str] | None:
    """A grid's own group, for announcements: its robot first, its app chat otherwise."""
    if grid.robot_key:
        return ("robot", grid.robot_key)
    if grid.appchat_id:
        return ("appchat", grid.appchat_id)
    return None


def to_follower(session: Session, f: TicketFollower, text: str) -> bool:
    dest = route(session, f.channel, f.userid, f.chat_id)
    if dest is None:
        log.warning("push.unroutable ticket=%s userid=%s channel=%s", f.ticket_id, f.userid, f.channel)
        return False
    kind, target = dest
    body = {"content": text}
    if kind in ("robot", "appchat", "bridge") and f.chat_id:
        body["mentioned_list"] = [f.userid]
    enqueue(session, kind, target, text, body=body)
    return True


def to_followers(session: Session, ticket: Ticket, text: str, *, exclude: set[str] = frozenset()) -> int:
    """Tell everyone who follows the ticket (reporter, +1s, merged reporters); one message per group."""
    sent: set[tuple[str, str]] = set()
    n = 0
    for f in followers(session, ticket.id):
        if f.userid in exclude:
            continue
        dest = route(session, f.channel, f.userid, f.chat_id)
        if dest is None or dest in sent and dest[0] != "user":
            continue
        sent.add(dest)
        n += to_follower(session, f, text)
    return n


def to_member(session: Session, userid: str, text: str) -> None:
    """A direct message to a staff member through the WeCom app."""
    enqueue(session, "user", userid, text)
