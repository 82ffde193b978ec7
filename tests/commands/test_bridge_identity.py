"""The bridge's own id space: signed timestamps, listed chats, bridge persons who are members only when mapped."""

from __future__ import annotations

import json
import time

from sqlmodel import Session, select

from conftest import GROUP, Bridge, example_config
from storage.models import Announcement, GridChat, Ticket


def _body(text: str, sender: str, chat_id: str | None = GROUP, msg_id: str = "r1") -> bytes:
    return json.dumps({"msg_id": msg_id, "chat_id": chat_id, "sender_id": sender, "sender_name": sender,
                       "text": text}, ensure_ascii=False).encode()


async def test_an_unmapped_bridge_sender_named_like_a_member_has_no_rights(group, engine):
    said = await group.say("群发通知 street:daqiao 测试", sender="not-mapped-admin")
    assert "权限" in said.reply
    said = await group.say("3号楼充电桩坏了", sender="someone")
    with Session(engine) as s:
        assert s.get(Ticket, said.ticket).reporter_id == "bridge:someone"
        assert s.exec(select(Announcement)).all() == []


async def test_the_example_config_maps_nobody_by_the_members_own_ids(aiohttp_client, db_url, engine, classifier):
    """With only what config.example.toml maps, a bridge message with sender_id=admin is a resident."""
    import tomllib

    from bot.app import create_app
    from conftest import ROOT

    raw = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    cfg = example_config(storage={"url": db_url}, outbox={"enabled": False}, scheduler={"enabled": False},
                         bridge={"members": raw["bridge"].get("members", {})})
    assert "admin" not in cfg.bridge.members and "zhangwei" not in cfg.bridge.members
    client = await aiohttp_client(create_app(cfg, engine=engine, classifier=classifier))
    g = Bridge(client)
    said = await g.say("群发通知 role:resident 大家好", sender="admin")
    assert "权限" in said.reply
    said = await g.say("绑定网格 fenghuang-3", sender="admin", chat_id="new-group")
    assert said.reply.startswith("「绑定网格」只有")
    with Session(engine) as s:
        assert s.get(GridChat, "new-group") is None


async def test_a_member_links_their_bridge_account_from_wecom_only(group, engine):
    said = await group.say("绑定 wx_li", sender="wx_li")  # a bridge person cannot claim a member
    assert "企业微信" in said.reply
    from handlers.identity import resolve
    from handlers.settings import TicketRules
    from storage.models import BridgeLink

    with Session(engine) as s:
        s.add(BridgeLink(bridge_id="wx_li", userid="lixiuying"))
        s.commit()
        from datetime import UTC, datetime

        from handlers.messages import InboundMessage as Msg

        m = resolve(s, Msg("bridge", "x", "bridge:wx_li", "hi", datetime.now(UTC), GROUP), TicketRules())
        assert m.sender_id == "lixiuying"


async def test_a_stale_or_future_timestamp_is_refused(group, db):
    before = db.count_all()
    for stamp in (int(time.time()) - 301, int(time.time()) + 301):
        said = await group.post(_body("3号楼充电桩坏了", "zhaomin", msg_id=f"t{stamp}"), timestamp=stamp)
        assert said.status == 403
    said = await group.post(_body("3号楼充电桩坏了", "zhaomin", msg_id="t-ok"))
    assert said.status == 200 and said.ticket
    assert db.count_all() != before


async def test_a_signature_without_the_timestamp_is_refused(group):
    import hashlib
    import hmac

    from bot.channels.bridge import SIGNATURE_HEADER, TIMESTAMP_HEADER
    from conftest import BRIDGE_SECRET

    body = _body("3号楼充电桩坏了", "zhaomin", msg_id="old-style")
    old = "sha256=" + hmac.new(BRIDGE_SECRET.encode(), body, hashlib.sha256).hexdigest()
    resp = await group.client.post("/bridge/message", data=body,
                                   headers={SIGNATURE_HEADER: old, TIMESTAMP_HEADER: str(int(time.time()))})
    assert resp.status == 403


async def test_a_chat_not_listed_for_the_bridge_is_refused(group, db):
    before = db.count_all()
    said = await group.post(_body("3号楼充电桩坏了", "zhaomin", chat_id="wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"))
    assert said.status == 403  # a WeCom chat id of quehua-1 is not the bridge's
    assert db.count_all() == before
