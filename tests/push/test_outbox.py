"""The outbox: every message arrives exactly once, whatever WeCom does in between."""

from __future__ import annotations

import asyncio

from sqlmodel import Session, select

from storage.models import Outbox
from storage.outbox import enqueue
from tests.push.conftest import ROBOT


def put(engine, *rows: tuple[str, str, str], **kw) -> list[int]:
    with Session(engine) as s:
        ids = [enqueue(s, kind, target, text, **kw) for kind, target, text in rows]
        s.commit()
        return ids


def statuses(engine) -> dict[int, str]:
    with Session(engine) as s:
        return {r.id: r.status for r in s.exec(select(Outbox)).all()}


async def test_each_target_kind_is_delivered_once(org_engine, worker, fake):
    put(org_engine, ("user", "zhangwei", "新工单 #1"), ("appchat", "CHAT1", "群通知"), ("robot", ROBOT, "网格群通知"),
        ("bridge", "bridge-quehua-1", "桥接群通知"))
    await worker.drain()
    got = {(d.api, d.target, d.text) for d in fake.delivered}
    assert got == {("message", "zhangwei", "新工单 #1"), ("appchat", "CHAT1", "群通知"), ("robot", ROBOT, "网格群通知"),
                   ("bridge", "bridge-quehua-1", "桥接群通知")}
    assert len(fake.delivered) == 4
    assert set(statuses(org_engine).values()) == {"sent"}
    await worker.drain()
    assert len(fake.delivered) == 4


async def test_an_expired_token_is_refreshed_and_the_message_sent_once(org_engine, worker, fake):
    put(org_engine, ("user", "zhangwei", "一"))
    await worker.drain()
    fake.expire_token()
    put(org_engine, ("user", "zhangwei", "二"))
    await worker.drain()
    assert [d.text for d in fake.delivered] == ["一", "二"]
    assert fake.calls.count("gettoken") == 2


async def test_rate_limits_and_system_busy_are_retried_with_backoff(org_engine, worker, fake, clock):
    (row,) = put(org_engine, ("user", "zhangwei", "稍后送达"))
    fake.rate_limit(1)
    fake.busy(1)
    await worker.drain()
    assert fake.delivered == []
    with Session(org_engine) as s:
        r = s.get(Outbox, row)
        assert (r.status, r.attempts) == ("pending", 1) and "-1" in r.last_error
    clock.advance(minutes=1)
    await worker.drain()  # 45009: later still
    assert fake.delivered == []
    clock.advance(minutes=5)
    await worker.drain()
    assert [d.text for d in fake.delivered] == ["稍后送达"]
    assert statuses(org_engine) == {row: "sent"}


async def test_permanent_errors_give_up_with_the_reason(org_engine, worker, fake, pconfig, make_worker, db_url):
    fake.users = {"zhangwei"}
    a, b = put(org_engine, ("user", "nobody", "x"), ("user", "zhangwei", "y"))
    await worker.drain()
    with Session(org_engine) as s:
        dead = s.get(Outbox, a)
        assert dead.status == "dead" and "81013" in dead.last_error
    assert [d.text for d in fake.delivered] == ["y"]


async def test_bridge_rows_without_an_outbound_url_go_dead_with_a_clear_reason(org_engine, fake, db_url, http, clock):
    from bot.outbox_worker import build_worker
    from tests.push.conftest import push_config

    cfg = push_config(db_url, fake, bridge={"outbound_url": None})
    (row,) = put(org_engine, ("bridge", "bridge-quehua-1", "x"))
    await build_worker(cfg, org_engine, http, clock=clock.now, monotonic=clock.mono).drain()
    with Session(org_engine) as s:
        r = s.get(Outbox, row)
        assert r.status == "dead" and "outbound_url" in r.last_error


async def test_a_robot_gets_at_most_twenty_a_minute_and_the_rest_later_in_order(org_engine, worker, fake, clock):
    put(org_engine, *[("robot", ROBOT, f"第{i}条") for i in range(25)])
    await worker.drain()
    assert [d.text for d in fake.delivered] == [f"第{i}条" for i in range(20)]
    clock.advance(seconds=61)
    await worker.drain()
    assert [d.text for d in fake.delivered] == [f"第{i}条" for i in range(25)]
    assert set(statuses(org_engine).values()) == {"sent"}


async def test_downtime_then_recovery_delivers_everything_once(org_engine, worker, fake, clock):
    put(org_engine, *[("user", "zhangwei", f"m{i}") for i in range(5)])
    await fake.go_down()
    await worker.drain()
    assert fake.delivered == []
    await fake.come_back()
    clock.advance(minutes=10)
    await worker.drain()
    assert sorted(d.text for d in fake.delivered) == [f"m{i}" for i in range(5)]


async def test_a_restart_between_write_and_send_loses_nothing(org_engine, make_worker, fake):
    put(org_engine, ("user", "zhangwei", "写入后重启"))
    first = make_worker("before-restart")
    await first.start()
    await first.stop()  # stops before or after sending: either way nothing is lost or doubled
    second = make_worker("after-restart")
    await second.drain()
    await fake.wait_for(1)
    await second.drain()
    assert [d.text for d in fake.delivered] == ["写入后重启"]


async def test_a_worker_that_dies_holding_rows_leaves_them_to_the_next_after_the_claim(org_engine, make_worker,
                                                                                       fake, clock):
    from storage import delivery

    put(org_engine, ("user", "zhangwei", "认领后崩溃"))
    now = clock.now()
    from datetime import timedelta

    claimed = delivery.claim(org_engine, now, now + timedelta(seconds=120), 10)
    assert len(claimed) == 1  # ... and the process dies here, before sending
    other = make_worker("survivor")
    await other.drain()
    assert fake.delivered == []  # still claimed
    clock.advance(seconds=121)
    await other.drain()
    assert [d.text for d in fake.delivered] == ["认领后崩溃"]


async def test_two_workers_on_one_outbox_send_each_row_once(org_engine, make_worker, fake):
    n = 60
    put(org_engine, *[("user", f"u{i % 7}", f"消息{i}") for i in range(n)])
    a, b = make_worker("a"), make_worker("b")
    await asyncio.gather(*(w.drain() for w in (a, b, make_worker("c"))))
    texts = [d.text for d in fake.delivered]
    assert sorted(texts) == sorted(f"消息{i}" for i in range(n))
    assert len(texts) == len(set(texts)) == n
