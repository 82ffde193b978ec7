"""The closed loop, story by story, with time frozen and moved by hand: deadlines by the working-day calendar,
pause over a weekend, 督办, 催办, 转派 with 主办/协办 and 退单, 并单 with followers on both sides, warnings and
escalation, the rating window closing, a reopen and a second 不满意, and the audit trail."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from bot.config import MemberConfig
from bot.orgsync import sync_org
from handlers import digest, loop, sla_jobs
from handlers.context import Services
from handlers.messages import InboundMessage
from handlers.router import handle
from handlers.sla import TZ
from storage.models import Outbox, Ticket, TicketEvent, TicketFollower
from storage.stats import Scope

GROUP = "bridge-quehua-1"
RESIDENTS = ("r1", "r2", "r3", "r4")  # residents of quehua-1 who write to the app 1:1 (reached by direct message)


def local(y, m, d, h=0, mi=0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=TZ).astimezone(UTC)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


class Loop:
    """The handlers on a fresh database, at a time the test sets."""

    def __init__(self, engine, config, classifier, start: datetime) -> None:
        self.engine = engine
        self.clock = Clock(start)
        self.services = Services(rules=config.ticket_rules(), classifier=classifier, clock=self.clock)
        self.ids = itertools.count(1)
        with Session(engine) as s:
            sync_org(s, config.org)
            s.commit()

    def say(self, text: str, sender: str = "zhaomin", *, dm: bool = False):
        msg = InboundMessage("wecom_app" if dm else "bridge", f"m{next(self.ids)}", sender, text, self.clock.now,
                             None if dm else GROUP)
        with Session(self.engine) as s:
            reply = handle(s, msg, self.services)
            s.commit()
        return reply

    def report(self, text: str, sender: str = "zhaomin", *, dm: bool = False) -> int:
        reply = self.say(text, sender, dm=dm)
        assert reply.ticket is not None, reply.text
        return reply.ticket

    def job(self) -> int:
        with Session(self.engine) as s:
            n = sla_jobs.check(s, self.services, self.clock.now)
            s.commit()
        return n

    def ticket(self, n: int) -> Ticket:
        with Session(self.engine) as s:
            return s.get(Ticket, n)

    def events(self, n: int) -> list[TicketEvent]:
        with Session(self.engine) as s:
            return list(s.exec(select(TicketEvent).where(TicketEvent.ticket_id == n).order_by(col(TicketEvent.id))))

    def dms(self, userid: str) -> list[str]:
        with Session(self.engine) as s:
            rows = s.exec(select(Outbox).where(Outbox.target_kind == "user", Outbox.target == userid)
                          .order_by(col(Outbox.id))).all()
            return [r.body["content"] for r in rows]

    def pushes(self) -> list[str]:
        with Session(self.engine) as s:
            rows = s.exec(select(Outbox).where(Outbox.target_kind == "bridge", Outbox.target == GROUP)
                          .order_by(col(Outbox.id))).all()
            return [r.body["content"] for r in rows]

    def outbox_count(self) -> int:
        with Session(self.engine) as s:
            return len(s.exec(select(Outbox.id)).all())


@pytest.fixture
def config(config):
    extra = [MemberConfig(userid=u, name=f"居民{u}", role="resident", grid="quehua-1") for u in RESIDENTS]
    return config.model_copy(update={"org": config.org.model_copy(update={"members": [*config.org.members, *extra]})})


@pytest.fixture
def at(engine, config, classifier):
    """``at(start)`` gives a Loop whose clock starts at ``start`` (aware UTC)."""
    return lambda start: Loop(engine, config, classifier, start)


# --- deadlines by the calendar ----------------------------------------------------------------------------------


def test_a_working_day_deadline_skips_the_national_day_week_and_counts_the_make_up_saturday(at):
    w = at(local(2026, 9, 30, 10))  # Wednesday before the National Day week
    n = w.report("5号楼门口路灯坏了")  # roads: resolve in 5 working days ([sla.categories.roads])
    t = w.ticket(n)
    assert t.resolve_working and t.due_at == local(2026, 10, 13, 10)
    assert not t.respond_working and t.respond_due_at == local(2026, 10, 1, 10)  # response: 24 calendar hours
    assert "10月13日 10:00" in w.say(f"进度 {n}").text


def test_urgent_tickets_count_calendar_hours_even_on_a_holiday(at):
    w = at(local(2026, 10, 2, 22))
    n = w.report("3号楼煤气泄漏了")
    t = w.ticket(n)
    assert t.urgent and not t.resolve_working and t.due_at == local(2026, 10, 3, 0)
    assert t.respond_due_at == local(2026, 10, 3, 0)


def test_a_pause_over_a_weekend_stops_the_clocks_and_the_resident_sees_it(at):
    w = at(local(2026, 11, 23, 10))  # Monday
    n = w.report("5号楼门口路灯坏了")
    assert w.ticket(n).due_at == local(2026, 11, 30, 10)
    w.say(f"接单 {n}", "zhangwei")
    w.clock.now = local(2026, 11, 27, 10)  # Friday
    reply = w.say(f"挂起 {n} 等待配件到货", "zhangwei")
    assert "已挂起" in reply.text and "计时暂停" in reply.text
    assert w.ticket(n).status == "paused"
    assert any("暂时挂起：等待配件到货" in p for p in w.pushes())
    assert w.say(f"办结 {n} 好了", "zhangwei").text.startswith(f"工单 #{n} 当前状态为「已挂起」")

    w.clock.now = local(2026, 11, 30, 12)  # past the old deadline: a paused ticket is not warned nor escalated
    before = w.outbox_count()
    assert w.job() == 0 and w.outbox_count() == before

    w.clock.now = local(2026, 11, 30, 10)  # Monday: Friday 14 h + Monday 10 h of working time stood still
    reply = w.say(f"解挂 {n} 配件已到", "zhangwei")
    t = w.ticket(n)
    assert t.status == "in_progress" and t.paused_at is None
    assert t.due_at == local(2026, 12, 1, 10)
    assert "12月1日 10:00" in reply.text and any("已恢复办理" in p for p in w.pushes())
    paused, resumed = [e for e in w.events(n) if e.kind in ("paused", "resumed")]
    assert paused.public and paused.text == "等待配件到货" and paused.changes["status"] == ["accepted", "paused"]
    assert resumed.changes["due_at"] == [local(2026, 11, 30, 10).isoformat(), local(2026, 12, 1, 10).isoformat()]


def test_a_calendar_clock_paused_over_the_weekend_moves_by_the_whole_pause(at):
    w = at(local(2026, 11, 26, 10))  # Thursday
    n = w.report("3号楼充电桩坏了")  # charging: 48 calendar hours
    w.say(f"接单 {n}", "zhangwei")
    w.clock.now = local(2026, 11, 27, 10)
    w.say(f"挂起 {n} 等居民在家", "zhangwei")
    w.clock.now = local(2026, 11, 30, 10)
    w.say(f"解挂 {n}", "zhangwei")
    assert w.ticket(n).due_at == local(2026, 11, 28, 10) + timedelta(days=3)


# --- supervision, chasing -----------------------------------------------------------------------------------------


def test_a_secretary_supervises_with_a_new_deadline_and_the_digest_lists_it_first(at, engine):
    w = at(local(2026, 11, 23, 10))
    n = w.report("3号楼充电桩坏了")
    other = w.report("7号楼门口垃圾没人清")
    w.say(f"接单 {n}", "zhangwei")
    assert "只有" in w.say(f"督办 {n} 请尽快", "zhangwei").text  # a grid worker does not supervise
    reply = w.say(f"督办 {n} 居民反映多次，请本周内解决 时限 3天", "wangfang")
    assert reply.text == f"已督办工单 #{n}，新时限 11月26日 10:00，已通知承办人。"
    t = w.ticket(n)
    assert t.supervised and t.due_at == local(2026, 11, 26, 10)
    assert any("【督办】" in d and "请本周内解决" in d for d in w.dms("zhangwei"))
    ev = w.events(n)[-1]
    assert (ev.kind, ev.actor, ev.text) == ("supervised", "wangfang", "居民反映多次，请本周内解决")
    assert ev.changes["supervised"] == [False, True] and "due_at" in ev.changes
    assert "无法识别时限" in w.say(f"督办 {n} 快 时限 下辈子", "wangfang").text
    with Session(engine) as s:
        d = digest.compose(s, Scope("community", "quehua"), kind="daily", end=w.clock.now + timedelta(hours=1),
                           now=w.clock.now)
    lines = d.text.split("\n")
    assert lines[1] == "督办工单：" and lines[2].startswith(f"· #{n} ")
    assert f"#{other}" not in lines[2]


def test_a_resident_chases_once_a_day_and_the_handler_is_told(at):
    w = at(local(2026, 11, 23, 10))
    n = w.report("3号楼充电桩坏了")
    w.say(f"接单 {n}", "zhangwei")
    assert w.say(f"催办 {n} 都三天了", "zhaomin").text == f"已为您催办工单 #{n}，承办人会尽快处理。"
    assert any("【催办】" in d and "都三天了" in d for d in w.dms("zhangwei"))
    w.clock.advance(hours=5)
    reply = w.say(f"催办 {n}", "zhaomin")
    assert "刚刚已经催办过" in reply.text and "11月24日 10:00" in reply.text
    assert [e.kind for e in w.events(n)].count("chased") == 1
    assert w.say(f"催办 {n}", "r1", dm=True).text == f"只有工单 #{n} 的反映人或关注人可以催办。"
    assert [e.kind for e in w.events(n)].count("chased") == 1
    w.clock.advance(hours=19)
    assert w.say(f"催办 {n}", "zhaomin").text.startswith("已为您催办")
    assert len([d for d in w.dms("zhangwei") if "【催办】" in d]) == 2


# --- hand-over ----------------------------------------------------------------------------------------------------


def test_transfer_with_a_lead_and_a_helper_then_the_department_sends_it_back(at):
    w = at(local(2026, 11, 23, 10))
    n = w.report("5号楼门口路灯坏了")
    w.say(f"接单 {n}", "zhangwei")
    reply = w.say(f"转派 {n} 主办 城管执法中队 路灯杆占道 协办 刘强", "zhangwei")
    assert "城管执法中队" in reply.text and "协办：网格员 刘强" in reply.text
    assert [e.text for e in w.events(n) if e.kind == "transferred"] == ["转派给 城管执法中队：路灯杆占道"]
    t = w.ticket(n)
    assert (t.department, t.assignee) == ("城管执法中队", "zhangwei")
    assert any("【协办】" in d and "城管执法中队主办" in d for d in w.dms("liuqiang"))
    # the helper (another community's worker) may add notes, not close it
    assert "已记录" in w.say(f"进度 {n} 已联系供电所", "liuqiang").text
    assert "不能办理" in w.say(f"办结 {n} 好了", "liuqiang").text
    assert w.say(f"退单 {n} 不归我", "liuqiang").text == (
        f"您是工单 #{n} 的协办人，只有主办人可以退单；可以用「进度 {n} 内容」记录进展。")
    # the department it was transferred to sends it back with a reason
    reply = w.say(f"退单 {n} 不属于城管职责，应由供电所处理", "sunli")
    assert reply.text == f"已将工单 #{n} 退回网格员 张伟重新派单，已通知对方。"
    t = w.ticket(n)
    assert (t.status, t.department, t.assignee) == ("open", None, "zhangwei")
    assert any("【退单】" in d and "应由供电所处理" in d for d in w.dms("zhangwei"))
    kinds = [e.kind for e in w.events(n)]
    assert kinds[-4:] == ["transferred", "helper_added", "progress", "sent_back"]
    back = w.events(n)[-1]
    assert (back.actor, back.changes["department"]) == ("sunli", ["城管执法中队", None])


# --- merge ---------------------------------------------------------------------------------------------------------


def test_merge_moves_the_reporters_and_followers_of_both_and_later_messages_find_the_survivor(at):
    w = at(local(2026, 11, 23, 10))
    a = w.report("3号楼充电桩坏了", "r1", dm=True)
    assert w.say("3号楼充电桩坏了", "r2", dm=True).ticket == a  # +1: r2 follows a
    b = w.report("4号楼充电桩又坏了", "r3", dm=True)
    assert w.say("4号楼充电桩又坏了", "r4", dm=True).ticket == b
    reply = w.say(f"并单 {b} 到 {a}", "zhangwei")
    assert f"#{a}" in reply.text
    with Session(w.engine) as s:
        assert set(s.exec(select(TicketFollower.userid).where(TicketFollower.ticket_id == a))) == set(RESIDENTS)
    for u in ("r1", "r2"):  # the survivor's followers are told of the merge ...
        assert any(f"#{b} 已并入您关注的工单 #{a}" in d for d in w.dms(u)), u
    for u in ("r3", "r4"):  # ... and the merged one's
        assert any(f"#{b}" in d and f"#{a}" in d and "合并" in d for d in w.dms(u)), u
    merged = w.events(b)[-1]
    assert merged.kind == "merged" and merged.changes["duplicate_of"] == [None, a]
    # a resident's later message about the merged ticket finds the survivor
    reply = w.say(f"进度 {b}", "r3", dm=True)
    assert reply.text.startswith(f"工单 #{b} 已合并到 #{a}") and reply.ticket == a
    assert w.say(f"催办 {b}", "r4", dm=True).text == f"已为您催办工单 #{a}，承办人会尽快处理。"
    assert w.events(a)[-1].kind == "chased" and w.events(b)[-1].kind == "merged"
    w.say(f"接单 {a}", "zhangwei")
    w.say(f"办结 {a} 两处都修好了", "zhangwei")
    for u in RESIDENTS:
        assert any("已办结：两处都修好了" in d for d in w.dms(u)), u
    assert w.say(f"评价 {b} 5", "r3", dm=True).text == f"感谢您的评价（5 分，满意）！工单 #{a} 已关闭。"
    assert (w.ticket(a).status, w.ticket(b).status) == ("closed", "duplicate")


# --- warnings and escalation -----------------------------------------------------------------------------------------


def test_warnings_at_the_fraction_and_escalation_at_each_deadline_once(at):
    w = at(local(2026, 11, 23, 10))
    n = w.report("3号楼充电桩坏了")  # respond 24 h, resolve 48 h, calendar time
    w.clock.now = local(2026, 11, 24, 5)  # 19 h: before 80 % of the response clock
    w.job()
    assert not [d for d in w.dms("zhangwei") if "即将超时" in d]
    w.clock.now = local(2026, 11, 24, 5, 30)  # 19.5 h > 19.2 h
    w.job()
    assert [d for d in w.dms("zhangwei") if "即将超时" in d and "响应时限" in d]
    w.clock.now = local(2026, 11, 24, 10, 1)  # the response deadline passed: the community's secretary is told
    w.job()
    assert [d for d in w.dms("wangfang") if "超时上报" in d and "响应时限" in d]
    assert w.events(n)[-1].kind == "sla_escalated" and w.events(n)[-1].changes["clock"] == "respond"
    assert w.job() == 0  # run again: nothing twice
    w.say(f"接单 {n}", "zhangwei")
    assert w.ticket(n).responded_at == local(2026, 11, 24, 10, 1)
    w.clock.now = local(2026, 11, 25, 1)  # 39 h > 38.4 h of the resolution clock
    w.job()
    assert [d for d in w.dms("zhangwei") if "即将超时" in d and "办理时限" in d]
    w.clock.now = local(2026, 11, 25, 10, 5)
    w.job()
    assert [d for d in w.dms("wangfang") if "超时上报" in d and "办理时限" in d]
    assert w.job() == 0


# --- closing the loop ---------------------------------------------------------------------------------------------


def test_no_rating_within_the_window_closes_as_default_satisfied_and_the_window_then_closes(at):
    w = at(local(2026, 11, 23, 10))
    n = w.report("3号楼充电桩坏了")
    w.say(f"接单 {n}", "zhangwei")
    w.say(f"办结 {n} 已更换", "zhangwei")
    assert w.ticket(n).rating_due_at == local(2026, 11, 26, 10)
    w.clock.now = local(2026, 11, 26, 9, 59)
    w.job()
    assert w.ticket(n).status == "resolved"
    w.clock.now = local(2026, 11, 26, 10, 1)
    w.job()
    t = w.ticket(n)
    assert (t.status, t.rating) == ("closed", "default_satisfied") and t.closed_at == w.clock.now
    assert any("评价期已过，按默认满意关闭" in p for p in w.pushes())
    ev = w.events(n)[-1]
    assert (ev.kind, ev.actor) == ("auto_closed", "gridbot")
    assert "当前状态为「已关闭」" in w.say(f"满意 {n}").text


def test_auto_close_as_unrated_by_config(engine, config, classifier):
    config = config.model_copy(update={"loop": config.loop.model_copy(update={"auto_close_as": "unrated"})})
    w = Loop(engine, config, classifier, local(2026, 11, 23, 10))
    n = w.report("3号楼充电桩坏了")
    w.say(f"接单 {n}", "zhangwei")
    w.say(f"办结 {n} 已更换", "zhangwei")
    w.clock.advance(days=3, minutes=1)
    w.job()
    assert (w.ticket(n).status, w.ticket(n).rating) == ("closed", None)
    assert any("按未评价关闭" in p for p in w.pushes())


def test_unsatisfied_reopens_once_then_goes_up_a_level_for_the_secretarys_visit(at):
    w = at(local(2026, 11, 23, 10))
    n = w.report("3号楼充电桩坏了")
    w.say(f"接单 {n}", "zhangwei")
    w.say(f"办结 {n} 已更换", "zhangwei")
    w.clock.advance(hours=2)
    reply = w.say(f"不满意 {n} 还是充不上", "zhaomin")
    t = w.ticket(n)
    assert (t.status, t.reopen_count, t.rating) == ("reopened", 1, "unsatisfied")
    assert t.due_at == w.clock.now + timedelta(hours=48) and "11月25日 12:00" in reply.text
    w.say(f"办结 {n} 换了线路", "zhangwei")
    reply = w.say(f"评价 {n} 2 还是不行", "zhaomin")
    assert "第二次不满意" in reply.text and "社区" in reply.text
    t = w.ticket(n)
    assert (t.status, t.level, t.rating, t.rating_score, t.reopen_count) == (
        "escalated", "community", "unsatisfied", 2, 2)
    assert any("【回访】" in d and "还是不行" in d for d in w.dms("wangfang"))
    assert w.events(n)[-1].changes["level"] == ["grid", "community"]
    # the secretary visits and closes the loop; the resident rates with a score
    w.say(f"回访 {n} 已上门，居民认可", "wangfang")
    w.say(f"办结 {n} 社区协调物业更换了整套设备", "wangfang")
    assert w.say(f"评价 {n} 4", "zhaomin").text == f"感谢您的评价（4 分，满意）！工单 #{n} 已关闭。"
    assert (w.ticket(n).rating, w.ticket(n).rating_score) == ("satisfied", 4)
    assert "无法识别评价" in w.say(f"评价 {n} 9", "zhaomin").text


# --- audit, console door ---------------------------------------------------------------------------------------------


def test_every_change_is_an_event_and_events_are_never_updated_or_deleted(at, engine):
    w = at(local(2026, 11, 23, 10))
    n = w.report("9号楼充电桩旁边乱停车")
    w.say(f"接单 {n}", "zhangwei")
    w.say(f"改类 {n} waste", "zhangwei")  # 48 h → 24 h from the report
    ev = w.events(n)[-1]
    assert ev.changes["category"] == ["charging", "waste"]
    assert ev.changes["due_at"] == [local(2026, 11, 25, 10).isoformat(), local(2026, 11, 24, 10).isoformat()]
    accepted = [e for e in w.events(n) if e.kind == "accepted"][0]
    assert accepted.changes == {"status": ["open", "accepted"]}
    with engine.connect() as conn:
        for stmt in ("UPDATE ticket_event SET text = 'x'", "DELETE FROM ticket_event"):
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(stmt))
            conn.rollback()
        # the one edit allowed: retention masking a closed ticket's events (storage/retention.py)
        conn.execute(text("UPDATE ticket SET status = 'closed'"))
        conn.execute(text("UPDATE ticket_event SET text = '***', actor = 'anonymised' WHERE kind = 'opened'"))
        for stmt in ("UPDATE ticket_event SET kind = 'x'", "UPDATE ticket_event SET actor = 'someone'",
                     "DELETE FROM ticket_event"):
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(stmt))
            conn.rollback()


def test_the_console_runs_the_same_commands_without_a_chat(at, engine):
    w = at(local(2026, 11, 23, 10))
    n = w.report("3号楼充电桩坏了")
    with Session(engine) as s:
        early = loop.act(s, w.services, "zhangwei", n, "挂起", "等待居民", now=w.clock.now)
        assert not early.ok and early.reply == f"工单 #{n} 当前状态为「待受理」，不能挂起。请先发「接单 {n}」。"
        assert loop.act(s, w.services, "zhangwei", n, "接单", now=w.clock.now).ok
        out = loop.act(s, w.services, "zhangwei", n, "挂起", "等待居民", now=w.clock.now)
        s.commit()
    assert out.ok and "已挂起" in out.reply
    assert [(k, t) for k, t, _ in out.notifications] == [("bridge", GROUP)]
    with Session(engine) as s:
        refused = loop.act(s, w.services, "zhaomin", n, "督办", "快点", now=w.clock.now)
    assert not refused.ok and "只有" in refused.reply and refused.notifications == []
    assert w.ticket(n).status == "paused"
