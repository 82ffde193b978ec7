"""Recall: an announcement sent by mistake is recalled where the platform can (app messages, within 24 hours,
by their msgid), and the report says per group where it cannot (group robot, bridge)."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.cli import build_parser
from storage.models import Announcement, Outbox
from tests.conftest import Bridge


def cli(config, *argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return args.func(args, config)


async def test_an_announcement_is_recalled_from_people_and_the_groups_are_told_why_not(app_client, fake, worker,
                                                                                     org_engine):
    said = await Bridge(app_client).say("群发通知 grid:quehua-1 user:zhangwei user:lixiuying 明天上午停水",
                                        sender="admin")
    assert "已排队发送" in said.reply
    await worker.drain()
    sent = {d.target: d for d in fake.delivered}
    assert {"zhangwei", "lixiuying"} <= set(sent)
    with Session(org_engine) as s:
        msgids = {r.target: r.msgid for r in s.exec(select(Outbox).where(Outbox.target_kind == "user")).all()}
    assert all(msgids.values())

    refused = await Bridge(app_client).say("公告 撤回 1", sender="zhaomin")
    assert "权限" in refused.reply
    done = await Bridge(app_client).say("公告 撤回 1", sender="admin")
    lines = done.reply.splitlines()
    assert lines[0] == "通知 1 的撤回情况："
    assert "· 张伟：正在撤回" in lines and "· 李秀英：正在撤回" in lines
    assert any("（群机器人）：群机器人消息不支持撤回" in line for line in lines)
    assert "· 桥接群 bridge-quehua-1：桥接群消息无法撤回，请在群内手动撤回或发更正通知" in lines
    await worker.drain()
    assert sorted(fake.recalled) == sorted(msgids.values())

    again = await Bridge(app_client).say("公告 撤回 1", sender="admin")  # a second recall does nothing twice
    assert "· 张伟：已撤回" in again.reply.splitlines()
    await worker.drain()
    assert len(fake.recalled) == 2


async def test_past_the_window_nothing_is_recalled_and_the_cli_says_so(app_client, fake, worker, org_engine, clock,
                                                                       pconfig, capsys):
    assert cli(pconfig, "announce", "--to", "user:wangfang", "--text", "误发") == 0
    await worker.drain()
    with Session(org_engine) as s:  # sent a day and more ago
        row = s.exec(select(Outbox).where(Outbox.target == "wangfang")).one()
        row.sent_at = row.sent_at.replace(year=row.sent_at.year - 1)
        s.add(row)
        s.commit()
    assert cli(pconfig, "announce", "recall", "1") == 0
    assert "王芳：已超过 24 小时，无法撤回" in capsys.readouterr().out
    await worker.drain()
    assert fake.recalled == []
    assert cli(pconfig, "announce", "recall", "9") == 1


async def test_a_scheduled_announcement_recalled_before_it_goes_is_cancelled(app_client, org_engine, pconfig):
    assert cli(pconfig, "announce", "--to", "grid:quehua-1", "--text", "x", "--at", "2099-01-05 09:00") == 0
    assert cli(pconfig, "announce", "recall", "1") == 0
    with Session(org_engine) as s:
        assert s.get(Announcement, 1).status == "cancelled"
