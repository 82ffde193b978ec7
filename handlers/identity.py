"""Who is speaking: a channel's sender id → the person the handlers see (a member, or a person of that channel).

The WeCom channels authenticate their senders as the corp's users, so their ids are member userids. The JSON
bridge has its own id space (``bridge:<its sender id>``, given by the adapter): such a person is a member
only when ``[bridge] members`` maps them, or when that member linked them from WeCom with 「绑定 桥接账号」.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from handlers import wording
from handlers.commands import REGISTRY, Command, Invocation
from handlers.context import Context
from handlers.errors import CommandError
from handlers.messages import InboundMessage, Reply
from handlers.settings import TicketRules
from storage.models import BridgeLink

PREFIX = "bridge:"


def resolve(session: Session, msg: InboundMessage, rules: TicketRules) -> InboundMessage:
    """The message as the handlers see it: a mapped or linked bridge person speaks as their member."""
    if msg.channel != "bridge" or not msg.sender_id.startswith(PREFIX):
        return msg
    raw = msg.sender_id[len(PREFIX):]
    userid = dict(rules.bridge_members).get(raw)
    if userid is None:
        link = session.get(BridgeLink, raw)
        userid = link.userid if link is not None else None
    return replace(msg, sender_id=userid) if userid else msg


def bridge_handle(session: Session, userid: str, rules: TicketRules) -> str:
    """How the bridge names a person we call ``userid`` (for @-mentions in bridged chats)."""
    if userid.startswith(PREFIX):
        return userid[len(PREFIX):]
    for raw, uid in rules.bridge_members:
        if uid == userid:
            return raw
    from sqlmodel import select

    raw = session.exec(select(BridgeLink.bridge_id).where(BridgeLink.userid == userid)).first()
    return raw or userid


def link(ctx: Context, inv: Invocation) -> Reply:
    """「绑定 桥接账号」 from a member on WeCom: that bridge person speaks as this member from now on."""
    if ctx.msg.channel == "bridge":
        raise CommandError("link from the bridge", wording.LINK_FROM_WECOM)
    if ctx.member is None:
        raise CommandError("link by a non-member", wording.LINK_MEMBERS_ONLY)
    raw = inv.rest.split()[0] if inv.rest else ""
    if raw.startswith(PREFIX):
        raw = raw[len(PREFIX):]
    if not raw:
        raise CommandError("link without bridge id", wording.LINK_USAGE)
    existing = ctx.session.get(BridgeLink, raw)
    if existing is not None and existing.userid != ctx.actor:
        raise CommandError(f"bridge id {raw} linked to {existing.userid}", wording.link_taken(raw))
    if existing is None:
        ctx.session.add(BridgeLink(bridge_id=raw, userid=ctx.actor, at=ctx.now))
    return Reply(wording.linked(raw))


REGISTRY.add(Command("绑定", link, "", aliases=("/link",), text=True, max_text=100))
