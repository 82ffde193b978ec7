"""One group commit, many messages: the batch path decides exactly as one message at a time would."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from bot.orgsync import sync_org
from conftest import example_config
from handlers.context import Services
from handlers.messages import InboundMessage
from handlers.router import handle_batch
from storage.models import Inbound, Outbox, Ticket, TicketEvent, TicketFollower

GROUP = "bridge-quehua-1"


def msg(n: int, text: str, sender: str = "r1") -> InboundMessage:
    return InboundMessage("bridge", f"b{n}", sender, text, datetime.now(UTC), GROUP, sender)


def run(engine, classifier, msgs):
    config = example_config()
    with Session(engine) as s:
        sync_org(s, config.org)
        replies = handle_batch(s, msgs, Services(rules=config.ticket_rules(), classifier=classifier))
        s.commit()
    return replies


def test_a_batch_opens_joins_and_answers_in_order(engine, classifier):
    replies = run(engine, classifier, [
        msg(1, "3号楼2单元的充电桩坏了", "a"),
        msg(2, "收到", "b"),
        msg(3, "3#楼二单元充电桩又不能用了", "c"),   # same problem, same batch: joins #1
        msg(4, "进度 1", "c"),                      # a command after them sees ticket #1 (c follows it)
        msg(5, "9号楼门口的路灯坏了 晚上黑", "e"),
        msg(6, "3号楼2单元的充电桩坏了", "a"),       # the reporter again: already follows
    ])
    assert [r.ticket for r in replies] == [1, None, 1, 1, 2, 1]
    assert "工单号 #1" in replies[0].text and replies[1].text is None
    assert "+1" in replies[2].text
    assert "工单 #1" in replies[3].text
    assert "您已在关注" in replies[5].text
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Ticket)).one() == 2
        followers = {(f.ticket_id, f.userid) for f in s.exec(select(TicketFollower)).all()}
        assert followers == {(1, "a"), (1, "c"), (2, "e")}
        kinds = sorted((e.ticket_id, e.kind) for e in s.exec(select(TicketEvent)).all())
        assert kinds == [(1, "opened"), (1, "plus_one"), (2, "opened")]
        assert len(s.exec(select(Outbox).where(Outbox.target == "zhangwei")).all()) == 2
        stored = {i.msg_id: (i.reply, i.ticket_id) for i in s.exec(select(Inbound)).all()}
        assert stored["b2"] == (None, None) and stored["b3"][1] == 1 and len(stored) == 6


def test_a_retry_inside_a_later_batch_gets_the_first_answer(engine, classifier):
    first = run(engine, classifier, [msg(1, "3号楼2单元的充电桩坏了", "a")])
    again = run(engine, classifier, [msg(7, "谢谢", "x"), msg(1, "3号楼2单元的充电桩坏了", "a")])
    assert again[1] == first[0]
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Ticket)).one() == 1


def test_follow_tells_whether_the_follower_is_new(engine):
    from storage.tickets import follow

    config = example_config()
    with Session(engine) as s:
        sync_org(s, config.org)
        s.add(Ticket(grid_id="quehua-1", category="roads", text="t", reporter_id="a", channel="bridge",
                     due_at=datetime.now(UTC)))
        s.commit()
        assert follow(s, 1, "b", "bridge", GROUP) is True
        assert follow(s, 1, "b", "bridge", GROUP) is False
        s.commit()


def test_a_report_of_the_same_building_with_more_or_less_detail_joins_the_open_ticket(engine, classifier):
    """"3号楼充电桩还是坏的 +1" after "3号楼2单元门口的充电桩坏了" is the same post; a flat's leak is its own."""
    first = run(engine, classifier, [msg(1, "3号楼2单元门口的充电桩坏了三天了", "a")])[0].ticket
    later = run(engine, classifier, [
        msg(2, "3号楼充电桩还是坏的，+1", "b"),        # coarser: joins
        msg(3, "3号楼2单元门口充电桩一直不能用", "c"),  # the same place: joins
        msg(4, "3号楼1单元的充电桩坏了", "d"),          # another unit: a ticket of its own
        msg(5, "13号楼的充电桩坏了", "e"),             # another building altogether
    ])
    assert [r.ticket for r in later[:2]] == [first, first]
    assert len({first, later[2].ticket, later[3].ticket}) == 3
    leaks = run(engine, classifier, [msg(6, "5号楼楼道漏水了", "f"), msg(7, "5号楼2单元501室漏水了", "g")])
    assert leaks[1].ticket != leaks[0].ticket  # a room is never widened to its building
