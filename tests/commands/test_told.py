"""Who is told: every follower @-mentioned in a stable order; replies claim only what was queued to a channel
that can deliver."""

from __future__ import annotations

from sqlmodel import Session, col, select

from conftest import Bridge, example_config
from storage.models import Outbox


async def test_an_update_mentions_the_reporter_and_every_follower_in_join_order(group, report, engine):
    n = await report("3号楼充电桩坏了", sender="zhaomin")
    for who in ("p1", "p2", "p3"):
        await group.say("3号楼充电桩还是坏的", sender=who)
    await group.say(f"接单 {n}", sender="zhangwei")
    with Session(engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.target_kind == "bridge").order_by(col(Outbox.id))).all()
    assert len(rows) == 1  # one message in the group, not one per follower
    assert rows[0].body["mentioned_list"] == ["zhaomin", "p1", "p2", "p3"]


async def test_many_followers_are_mentioned_up_to_the_limit_and_summarised(group, report, engine):
    from handlers.notify import MAX_MENTIONS

    n = await report("3号楼充电桩坏了", sender="zhaomin")
    for i in range(MAX_MENTIONS + 2):
        await group.say("3号楼充电桩还是坏的", sender=f"f{i:02d}")
    await group.say(f"接单 {n}", sender="zhangwei")
    with Session(engine) as s:
        (row,) = s.exec(select(Outbox).where(Outbox.target_kind == "bridge")).all()
    assert row.body["mentioned_list"][0] == "zhaomin" and len(row.body["mentioned_list"]) == MAX_MENTIONS
    assert "另有 3 位关注者" in row.body["content"]


async def test_without_a_bridge_outbound_url_replies_do_not_claim_the_reporter_was_told(
        aiohttp_client, db_url, engine, classifier):
    from bot.app import create_app

    cfg = example_config(storage={"url": db_url}, outbox={"enabled": False}, scheduler={"enabled": False},
                         bridge={"outbound_url": None})
    g = Bridge(await aiohttp_client(create_app(cfg, engine=engine, classifier=classifier)))
    n = (await g.say("3号楼充电桩坏了", sender="zhaomin")).ticket
    said = await g.say(f"接单 {n}", sender="zhangwei")
    assert "已告知反映人" not in said.reply and "推送通道未配置" in said.reply
    said = await g.say(f"进度 {n} 明天来修", sender="zhangwei")
    assert "反映人会在群里看到" not in said.reply and "推送通道未配置" in said.reply
    said = await g.say(f"办结 {n} 修好了", sender="zhangwei")
    assert "已请反映人评价" not in said.reply and "推送通道未配置" in said.reply


async def test_info_logs_one_line_per_message_with_what_was_decided(group, report, caplog):
    import logging

    n = await report()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        await group.say(f"接单 {n}", sender="zhangwei")
        await group.say("接单 1abc", sender="zhangwei")
        await group.say("收到", sender="zhaomin")
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith("handlers")]
    assert len(lines) == 3, lines
    assert "outcome=command:接单" in lines[0] and "outcome=refused" in lines[1] and "outcome=silent" in lines[2]


def test_the_shipped_example_config_has_no_app_secret_so_the_app_cannot_push():
    """The example ships no WeCom app secret: a placeholder there used to count as a working channel."""
    from bot.config import load_config
    from conftest import ROOT

    kinds = load_config(ROOT / "config.example.toml").outbound_kinds()
    assert "user" not in kinds and "appchat" not in kinds


async def test_with_the_example_app_unconfigured_a_transfer_does_not_claim_the_department_was_told(
        aiohttp_client, db_url, engine, classifier):
    from bot.app import create_app

    cfg = example_config(storage={"url": db_url}, outbox={"enabled": False}, scheduler={"enabled": False},
                         wecom={"secret": ""})
    g = Bridge(await aiohttp_client(create_app(cfg, engine=engine, classifier=classifier)))
    n = (await g.say("小区门口建筑垃圾堆了一个月没人清运", sender="zhaomin")).ticket
    said = await g.say(f"转派 {n} 城管执法中队", sender="zhangwei")
    assert f"已将工单 #{n} 转派给" in said.reply
    assert "暂时无法收到推送（推送通道未配置）" in said.reply, said.reply
    # the row is still queued: it fails on its first try with the reason, so `gridbot outbox failed` shows the
    # admin what was never sent (tests/push/test_outbox_unconfigured.py)
