"""Two people acting on one ticket at the same moment: exactly one wins, the history stays consistent."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlmodel import Session

from handlers import lifecycle
from handlers.context import Context, Services
from handlers.errors import Conflict, InvalidTransition
from handlers.messages import InboundMessage
from storage.models import Member, Ticket
from storage.types import utcnow
from tests.commands.conftest import StubClassifier


async def test_two_workers_accept_at_once_through_the_pipeline(group, report, db):
    n = await report()
    a, b = await asyncio.gather(group.say(f"接单 {n}", sender="zhangwei"), group.say(f"接单 {n}", sender="zhaolei"))
    won = [s for s in (a, b) if s.reply.startswith(f"已接单 #{n}")]
    lost = [s for s in (a, b) if "不能接单" in s.reply]
    assert len(won) == 1 and len(lost) == 1
    t = db.ticket(n)
    assert t.status == "accepted" and t.version == 2
    assert db.kinds(n) == ["opened", "accepted"]
    assert db.events(n)[-1].actor == t.assignee


async def test_many_conflicting_commands_at_once_leave_a_consistent_history(group, report, db):
    n = await report()
    await group.say(f"接单 {n}", sender="zhangwei")
    said = await asyncio.gather(
        group.say(f"办结 {n} 修好了", sender="zhangwei"),
        group.say(f"调解 {n}", sender="zhaolei"),
        group.say(f"上报 {n} 需要协调", sender="zhaolei"),
        group.say(f"进度 {n} 在修", sender="zhangwei"),
    )
    assert all(s.status == 200 for s in said)
    t = db.ticket(n)
    evs = db.events(n)
    assert t.version == len(evs)  # one version per recorded change (opened is version 1)
    for before, after in zip(evs, evs[1:], strict=False):
        assert after.old_status == before.new_status  # every step starts where the previous one ended
    assert evs[-1].new_status == t.status


def _ctx(session: Session, config, userid: str) -> Context:
    msg = InboundMessage(channel="bridge", msg_id=f"direct-{userid}", sender_id=userid, text="", sent_at=utcnow(),
                         chat_id="bridge-quehua-1")
    services = Services(rules=config.ticket_rules(), classifier=StubClassifier())
    return Context(session=session, services=services, msg=msg, inbound_id=0,
                   member=session.get(Member, userid), grid=None, now=utcnow())


async def test_a_stale_version_is_refused(report, engine, config, db):
    n = await report()
    with Session(engine) as s1, Session(engine) as s2:
        t1, t2 = s1.get(Ticket, n), s2.get(Ticket, n)
        assert t1.version == t2.version == 1
        lifecycle.apply(_ctx(s1, config, "zhangwei"), t1, "accept", assignee="zhangwei")
        s1.commit()
        with pytest.raises(Conflict) as e:  # s2 still holds version 1
            lifecycle.apply(_ctx(s2, config, "zhaolei"), t2, "accept", assignee="zhaolei")
        assert "刚刚被其他人更新" in e.value.user_text
        s2.rollback()
    t = db.ticket(n)
    assert (t.assignee, t.version) == ("zhangwei", 2)
    assert db.kinds(n) == ["opened", "accepted"]


async def test_two_processes_at_the_same_moment_exactly_one_wins(report, engine, config, db):
    """Two sessions in two threads read the same version, then both try to move the ticket at once."""
    n = await report()
    barrier = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def act(userid: str, action: str, **changes) -> None:
        with Session(engine) as s:
            t = s.get(Ticket, n)
            barrier.wait()
            try:
                lifecycle.apply(_ctx(s, config, userid), t, action, **changes)
                s.commit()
                outcome[userid] = "won"
            except (Conflict, InvalidTransition):
                s.rollback()
                outcome[userid] = "refused"

    threads = [threading.Thread(target=act, args=("zhangwei", "accept"), kwargs={"assignee": "zhangwei"}),
               threading.Thread(target=act, args=("zhaolei", "merge"), kwargs={"duplicate_of": None})]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert sorted(outcome.values()) == ["refused", "won"]
    t = db.ticket(n)
    assert t.version == 2
    evs = db.events(n)
    assert len(evs) == 2 and evs[1].old_status == "open" and evs[1].new_status == t.status
    winner = next(u for u, o in outcome.items() if o == "won")
    assert evs[1].actor == winner
