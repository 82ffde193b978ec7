"""Each kind of push, from the change that causes it to the message the fake WeCom API receives — once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlmodel import Session, select

from bot.cli import build_parser
from handlers import digest, notify, reminders
from storage.models import Announcement, Ticket
from storage.stats import Scope
from tests.push.conftest import ROBOT
from tests.push.helpers import outbox, ticket

AIBOT_CHAT = "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"  # bound to grid quehua-1, which has a group robot


def cli(config, *argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return args.func(args, config)


def once(delivered) -> bool:
    keys = [(d.api, d.target, d.msgtype, d.text or d.content.get("md5")) for d in delivered]
    return len(keys) == len(set(keys))


# --- progress ---------------------------------------------------------------------------------------------------


async def test_progress_reaches_the_group_and_the_resident_it_came_from(org_engine, worker, fake, clock):
    now = clock.now()
    in_group = ticket(org_engine, now=now, channel="wecom_aibot", chat_id=AIBOT_CHAT, reporter="zhaomin")
    bridged = ticket(org_engine, now=now, channel="bridge", chat_id="bridge-quehua-1", reporter="u2")
    direct = ticket(org_engine, now=now, channel="wecom_app", chat_id=None, reporter="u3")
    with Session(org_engine) as s:
        for number in (in_group, bridged, direct):
            notify.to_followers(s, s.get(Ticket, number), f"工单 #{number} 已办结")
        s.commit()
    await worker.drain()
    got = {(d.api, d.target): d for d in fake.delivered}
    assert got[("robot", ROBOT)].text == f"工单 #{in_group} 已办结"
    assert got[("robot", ROBOT)].content["mentioned_list"] == ["zhaomin"]
    assert got[("bridge", "bridge-quehua-1")].content["mentioned_list"] == ["u2"]
    assert got[("message", "u3")].text == f"工单 #{direct} 已办结"
    assert len(fake.delivered) == 3


# --- announcements ----------------------------------------------------------------------------------------------


async def test_an_announcement_from_the_cli_reaches_every_group_and_role_once(org_engine, worker, fake, pconfig):
    assert cli(pconfig, "announce", "--to", "community:quehua", "--to", "grid:quehua-1", "--to", "role:secretary",
               "--text", "本周五上午九点书记茶摊，欢迎参加") == 0
    await worker.drain()
    assert sorted((d.api, d.target) for d in fake.delivered) == [
        ("bridge", "bridge-quehua-1"), ("message", "chenjing"), ("message", "wangfang"), ("robot", ROBOT)]
    assert all(d.text == "【通知】本周五上午九点书记茶摊，欢迎参加" for d in fake.delivered)
    with Session(org_engine) as s:
        (ann,) = s.exec(select(Announcement)).all()
        assert ann.status == "sent"


async def test_an_announcement_from_a_file_at_a_time_can_be_listed_and_cancelled(org_engine, pconfig, tmp_path,
                                                                                  capsys):
    f = tmp_path / "notice.md"
    f.write_text("# 三务公开\n本月收支明细已张贴。", encoding="utf-8")
    assert cli(pconfig, "announce", "--to", "street:daqiao", "--file", str(f), "--at", "2099-01-05 09:00") == 0
    assert outbox(org_engine) == []
    assert cli(pconfig, "announce", "list") == 0
    assert "street:daqiao" in capsys.readouterr().out
    assert cli(pconfig, "announce", "cancel", "1") == 0
    with Session(org_engine) as s:
        assert s.get(Announcement, 1).status == "cancelled"


async def test_a_grid_reached_only_through_the_bridge_gets_it_and_the_status_says_so(org_engine, pconfig, capsys):
    assert cli(pconfig, "announce", "--to", "grid:fenghuang-3", "--text", "x") == 0  # no robot, no app chat
    assert "凤凰理想社区 · 第三网格（桥接群 bridge-fenghuang-3）：已排队发送" in capsys.readouterr().out


async def test_an_unreachable_target_is_refused(org_engine, pconfig, capsys):
    assert cli(pconfig, "announce", "--to", "street:taiping", "--text", "x") == 1  # no grid at all
    assert "没有找到可送达的对象" in capsys.readouterr().err


async def test_an_announcement_at_a_time_in_the_past_is_refused(org_engine, pconfig, capsys):
    assert cli(pconfig, "announce", "--to", "grid:quehua-1", "--text", "x", "--at", "2020-01-01 09:00") == 1
    assert "已经过去" in capsys.readouterr().err


# --- reminders --------------------------------------------------------------------------------------------------


async def test_reminders_before_and_after_the_deadline_then_escalation_each_once(org_engine, worker, fake, clock):
    now = clock.now()
    soon = ticket(org_engine, now=now, due_in=timedelta(hours=2))
    late = ticket(org_engine, now=now, due_in=timedelta(hours=-1))
    very_late = ticket(org_engine, now=now, due_in=timedelta(hours=-30), age=timedelta(days=3))
    ticket(org_engine, now=now, due_in=timedelta(hours=-30), status="resolved")  # done: no reminder
    for _ in range(2):  # the check runs often; each reminder goes once
        with Session(org_engine) as s:
            reminders.check(s, now, before=timedelta(hours=4), escalate_after=timedelta(hours=24))
            s.commit()
    await worker.drain()
    to_worker = [d.text for d in fake.delivered if d.target == "zhangwei"]
    assert len(to_worker) == 3
    assert any(f"#{soon}" in t and "办理提醒" in t for t in to_worker)
    assert any(f"#{late}" in t and "超期提醒" in t for t in to_worker)
    up = [d for d in fake.delivered if d.target == "wangfang"]  # quehua's secretary: one level up from the grid
    assert len(up) == 1 and f"#{very_late}" in up[0].text and "超期上报" in up[0].text
    assert once(fake.delivered)


# --- digests ----------------------------------------------------------------------------------------------------


def some_week(engine, now) -> None:
    for cat, n in (("charging", 3), ("parking", 2), ("waste", 1)):
        for _ in range(n):
            ticket(engine, now=now, category=cat, age=timedelta(days=2))
    ticket(engine, now=now, category="roads", status="closed", age=timedelta(days=3), resolved_ago=timedelta(days=1),
           rating="satisfied")
    ticket(engine, now=now, category="roads", status="closed", age=timedelta(days=4), resolved_ago=timedelta(days=1),
           rating="unsatisfied")
    ticket(engine, now=now, category="safety", age=timedelta(days=20), due_in=timedelta(days=-15))  # old, overdue
    ticket(engine, now=now, category="other", grid="fenghuang-3")  # another street


def test_digest_figures_come_out_right(org_engine, clock):
    now = clock.now()
    some_week(org_engine, now)
    with Session(org_engine) as s:
        d = digest.compose(s, Scope("community", "quehua"), kind="weekly", end=now, now=now)
    assert "【鹊华理想社区 · 每周诉求简报】" in d.text
    assert "共收集群众诉求8件，已办结2件，6件正在办理" in d.text
    assert "目前在办7件，其中超期1件" in d.text
    assert "满意率50%（2件已评价）" in d.text
    assert "充电设施3件、停车管理2件、道路与公共设施2件" in d.text
    assert "安全隐患" in d.text.split("办理时间最长的未办结诉求：")[1].splitlines()[1]
    assert d.week[0] == ("charging", 3)


async def test_a_weekly_digest_with_its_chart_survives_an_api_outage_in_the_middle(org_engine, worker, fake,
                                                                                   clock):
    now = clock.now()
    some_week(org_engine, now)
    with Session(org_engine) as s:
        n = digest.run(s, [Scope("community", "quehua"), Scope("street", "daqiao")], kind="weekly", end=now,
                       now=now, chart=True)
        s.commit()
    assert n == 4  # wangfang (community) and chenjing (street): a text and a chart each
    fake.fail_after(1, "http")  # the first message gets through, then WeCom goes away
    await worker.drain()
    assert len(fake.delivered) == 1
    fake.recover()
    clock.advance(minutes=10)
    await worker.drain()
    got = Counter((d.target, d.msgtype) for d in fake.delivered)
    assert got == {("wangfang", "text"): 1, ("wangfang", "image"): 1, ("chenjing", "text"): 1,
                   ("chenjing", "image"): 1}
    assert "media/upload" in fake.calls
    assert {r.status for r in outbox(org_engine)} == {"sent"}
    # the same digest again (a job that ran twice) pushes nothing new
    with Session(org_engine) as s:
        assert digest.run(s, [Scope("community", "quehua")], kind="weekly", end=now, now=now, chart=True) == 0


async def test_the_chart_goes_to_a_robot_as_base64_and_md5(org_engine, worker, fake, clock):
    now = clock.now()
    some_week(org_engine, now)
    with Session(org_engine) as s:
        d = digest.compose(s, Scope("grid", "quehua-1"), kind="weekly", end=now, now=now)
        digest.enqueue_digest(s, d, [("robot", ROBOT)], key="t", chart=True)
        s.commit()
    await worker.drain()
    kinds = [d.msgtype for d in fake.delivered]
    assert kinds == ["text", "image"]
    assert fake.delivered[1].content["base64"]


async def test_digest_on_demand_from_the_cli(org_engine, worker, fake, pconfig, clock):
    some_week(org_engine, clock.now())
    assert cli(pconfig, "digest", "--scope", "community:quehua", "--now", "--kind", "daily") == 0
    await worker.drain()
    assert [(d.target, d.msgtype) for d in fake.delivered] == [("wangfang", "text")]
    assert "每日诉求简报" in fake.delivered[0].text


def test_a_failing_chart_falls_back_to_text(org_engine, clock, monkeypatch):
    def broken(*a, **k):
        raise OSError("no font")

    monkeypatch.setattr(digest, "chart_png", broken)
    some_week(org_engine, clock.now())
    with Session(org_engine) as s:
        d = digest.compose(s, Scope("grid", "quehua-1"), kind="weekly", end=clock.now(), now=clock.now())
        digest.enqueue_digest(s, d, [("user", "wangfang")], key="t", chart=True)
        s.commit()
    rows = outbox(org_engine)
    assert [r.msgtype for r in rows] == ["text", "text"]
    assert rows[1].body["content"].startswith("本周各类诉求：充电设施3件")
    assert "诉求较多的类别" not in rows[0].body["content"]  # said once, not twice
    assert "诉求较多的类别" in d.text  # a digest without a chart keeps it


def test_the_chart_font_ships_with_the_package():
    font, cjk = digest._font(None, 14)
    assert cjk and digest._packaged_font() is not None
