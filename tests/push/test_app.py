"""The running app: its outbox worker and scheduler start with it, deliver, and stop cleanly with it."""

from __future__ import annotations

from bot.app import OUTBOX, SCHEDULER, create_app
from tests.conftest import Bridge
from tests.push.conftest import ROBOT, push_config


async def test_the_app_delivers_what_its_handlers_enqueue_and_admins_announce_in_chat(
        aiohttp_client, org_engine, db_url, fake, classifier):
    cfg = push_config(db_url, fake, outbox={"poll_seconds": 0.2})
    client = await aiohttp_client(create_app(cfg, engine=org_engine, classifier=classifier))
    app = client.server.app
    assert app[OUTBOX] is not None and app[SCHEDULER] is not None
    group = Bridge(client)

    said = await group.say("3号楼2单元门口的充电桩坏了三天了", sender="zhaomin")
    assert said.ticket is not None
    (dm,) = await fake.wait_for(1)  # the grid worker is told, through the outbox
    assert (dm.api, dm.target) == ("message", "zhangwei") and f"#{said.ticket}" in dm.text

    refused = await group.say("群发通知 grid:quehua-1 明天上午停水", sender="zhaomin")
    assert "权限" in refused.reply
    done = await group.say("群发通知 grid:quehua-1 明天上午停水", sender="admin")
    assert "第一网格（群机器人）：已排队发送" in done.reply
    got = await fake.wait_for(3)
    assert sorted((d.api, d.target, d.text) for d in got[1:]) == [
        ("bridge", "bridge-quehua-1", "【通知】明天上午停水"), ("robot", ROBOT, "【通知】明天上午停水")]

    await client.close()  # the worker and the scheduler stop with the app
    assert len(fake.delivered) == 3
