"""Pushes written to the outbox: who is reached how, decided when the change happens.

A reply may say someone was told only when a send was queued to a channel that can deliver: the rules
carry which push channels are configured (``TicketRules.outbound``) and every function here says whether
its send was queued to one (``told`` / ``last_told``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from handlers.settings import TicketRules
from storage import org, reply_urls
from storage.models import Grid, Ticket, TicketFollower
from storage.outbox import enqueue
from storage.tickets import followers
from storage.types import utcnow

log = logging.getLogger(__name__)

MAX_MENTIONS = 20  # @-mentions per group message; more followers are summarised in the text
Destination = tuple[str, str]


def configure(session: Session, rules: TicketRules, now: datetime | None = None) -> None:
    """Remember, for this session (one batch), which push channels can deliver, the bridge's names and the
    batch's clock (a response_url is usable for an hour from its message)."""
    session.info["reach_rules"] = rules
    if now is not None:
        session.info["reach_now"] = now


def _rules(session: Session) -> TicketRules:
    return session.info.get("reach_rules") or TicketRules()


def deliverable(session: Session, dest: Destination | None) -> bool:
    return dest is not None and dest[0] in _rules(session).outbound


def route(session: Session, channel: str, userid: str, chat_id: str | None) -> Destination | None:
    """Where a person who wrote on ``channel`` (in ``chat_id``, or 1:1) can be reached later."""
    if channel == "bridge":
        return ("bridge", chat_id or userid)
    if chat_id:
        grid = org.grid_for_chat(session, chat_id)
        if grid is not None and grid.robot_key:
            return ("robot", grid.robot_key)
        if channel == "wecom_app":
            return ("appchat", chat_id)
        return _aibot(session, channel, chat_id) or _reply_url(session, channel, chat_id, userid)
    if channel == "wecom_aibot" and "user" not in _rules(session).outbound:
        return _aibot(session, channel, userid) or _reply_url(session, channel, None, userid) or ("user", userid)
    return ("user", userid)


def _aibot(session: Session, channel: str, chatid: str) -> Destination | None:
    """The AI bot's long connection reaches the chats it was written in (a group's chatid, a person's userid)."""
    return ("aibot", chatid) if channel == "wecom_aibot" and "aibot" in _rules(session).outbound else None


def _reply_url(session: Session, channel: str, chat_id: str | None, userid: str) -> Destination | None:
    """In callback mode the AI bot can answer later once per message it received, within the hour (its
    response_url). Everyone routed into one conversation in this session shares the one taken: they get one
    message together."""
    if channel != "wecom_aibot" or "aibot_reply" not in _rules(session).outbound:
        return None
    taken: dict[str, Destination | None] = session.info.setdefault("reply_urls_taken", {})
    key = reply_urls.chat_key(chat_id, userid)
    if key not in taken:
        url = reply_urls.take(session, chat_id, userid, session.info.get("reach_now") or utcnow())
        taken[key] = ("aibot_reply", url) if url else None
    return taken[key]


def grid_group(grid: Grid) -> Destination | None:
    """A grid's own group through WeCom, for announcements: its robot first, its app chat otherwise."""
    if grid.robot_key:
        return ("robot", grid.robot_key)
    if grid.appchat_id:
        return ("appchat", grid.appchat_id)
    return None


def _handle(session: Session, kind: str, userid: str) -> str:
    if kind == "bridge":
        from handlers.bridge_ids import bridge_handle

        return bridge_handle(session, userid, _rules(session))
    return userid


def _ordered(ticket: Ticket, rows: list[TicketFollower]) -> list[TicketFollower]:
    """The reporter first, then followers in the order they joined: the same order every time."""
    return sorted(rows, key=lambda f: (f.userid != ticket.reporter_id, f.at, f.userid))


@dataclass(frozen=True, slots=True)
class Told:
    reporter: bool = False  # the reporter's message was queued to a channel that can deliver
    people: int = 0  # followers reached that way


def to_followers(session: Session, ticket: Ticket, text: str, *, exclude: set[str] = frozenset()) -> int:
    """Tell everyone who follows the ticket (reporter, +1s, merged reporters): one message per group with
    every follower there @-mentioned in a stable order, a direct message per 1:1 follower."""
    groups: dict[Destination, list[TicketFollower]] = {}
    for f in _ordered(ticket, followers(session, ticket.id)):
        if f.userid in exclude:
            continue
        dest = route(session, f.channel, f.userid, f.chat_id)
        if dest is None:
            log.warning("push.unroutable ticket=%s userid=%s channel=%s", f.ticket_id, f.userid, f.channel)
            continue
        key = dest if dest[0] != "user" else ("user", f.userid)
        groups.setdefault(key, []).append(f)
    reporter = False
    people = 0
    from handlers import privacy

    for (kind, target), fs in groups.items():
        body: dict = {"content": text}
        if kind != "user":  # a group reads it: a private matter gets a neutral line, numbers are masked
            body["content"] = (privacy.neutral_line(session, ticket.id, ticket.status)
                               if privacy.is_private(ticket.category) else privacy.mask(text))
        if kind in ("robot", "appchat", "bridge") and any(f.chat_id for f in fs):
            names = list(dict.fromkeys(_handle(session, kind, f.userid) for f in fs))
            body["mentioned_list"] = names[:MAX_MENTIONS]
            if len(names) > MAX_MENTIONS:
                from handlers import wording

                body["content"] += wording.more_followers(len(names) - MAX_MENTIONS, ticket.id)
        enqueue(session, kind, target, body["content"], body=body)
        if deliverable(session, (kind, target)):
            people += len(fs)
            reporter = reporter or any(f.userid == ticket.reporter_id for f in fs)
    session.info.setdefault("told", {})[ticket.id] = Told(reporter, people)
    return people


def last_told(session: Session, ticket_id: int) -> Told:
    """What the last ``to_followers`` of this ticket in this session reached."""
    return session.info.get("told", {}).get(ticket_id, Told())


def to_member(session: Session, userid: str, text: str) -> bool:
    """A direct message to a staff member through the WeCom app; True when that channel can deliver."""
    enqueue(session, "user", userid, text)
    return deliverable(session, ("user", userid))
