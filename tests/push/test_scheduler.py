"""The scheduler: jobs live in the database, a run missed while down happens once, one leader at a time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_MISSED
from sqlmodel import Session

from bot.scheduler import MigratedJobStore, PushScheduler
from handlers import announce
from storage.models import Announcement
from tests.push.conftest import ROBOT, push_config


def scheduler(engine, config, clock, worker=None, name: str = "p1") -> PushScheduler:
    loop = asyncio.get_running_loop()
    wake = (lambda: loop.call_soon_threadsafe(worker.wake)) if worker else (lambda: None)
    return PushScheduler(engine, config, clock=clock.now, wake=wake, holder=name)


def move_job(engine, job_id: str, when: datetime) -> None:
    """What a restart after downtime looks like: the job's next run is in the past."""
    store = MigratedJobStore(engine=engine)
    store.start(None, "default")
    job = store.lookup_job(job_id)
    job.next_run_time = when
    store.update_job(job)


async def test_config_jobs_are_stored_and_a_missed_event_runs_once_after_a_restart(org_engine, pconfig, worker,
                                                                                   fake, clock):
    first = scheduler(org_engine, pconfig, clock)
    await first.tick()
    assert first.leading
    ids = {j.id for j in first.aps.get_jobs()}
    assert {"digest:daily", "digest:weekly", "event:书记茶摊", "event:移动办公桌", "reminders"} <= ids
    await first.stop()

    missed = datetime.now(UTC) - timedelta(minutes=10)  # the event was due while gridbot was down
    move_job(org_engine, "event:移动办公桌", missed)
    await worker.start()
    second = scheduler(org_engine, pconfig, clock, worker, name="p2")
    await second.tick()
    try:
        both = await fake.wait_for(2)  # the grid's robot group and its bridged chat, each through its own channel
        assert sorted((d.api, d.target) for d in both) == [("bridge", "bridge-quehua-1"), ("robot", ROBOT)]
        got = both[0]
        assert got.text.startswith("【移动办公桌】本周三上午网格员")
        job = second.aps.get_job("event:移动办公桌")
        assert job.next_run_time > datetime.now(UTC)  # coalesced: once, then the next Wednesday
    finally:
        await second.stop()
        await worker.stop()
    assert len(fake.delivered) == 2


async def test_a_run_missed_by_more_than_the_grace_time_is_skipped(org_engine, pconfig, worker, fake, clock):
    first = scheduler(org_engine, pconfig, clock)
    await first.tick()
    await first.stop()
    move_job(org_engine, "event:移动办公桌", datetime.now(UTC) - timedelta(days=2))
    loop = asyncio.get_running_loop()
    seen: asyncio.Future = loop.create_future()
    second = PushScheduler(org_engine, pconfig, clock=clock.now, holder="p2",
                           on_job=lambda e: loop.call_soon_threadsafe(
                               lambda: seen.done() or seen.set_result((e.job_id, e.code))))
    await second.tick()
    assert await asyncio.wait_for(seen, 10) == ("event:移动办公桌", EVENT_JOB_MISSED)
    await second.stop()
    await worker.drain()
    assert fake.delivered == []


async def test_a_timed_announcement_is_sent_once_by_the_leader(org_engine, pconfig, worker, fake, clock):
    with Session(org_engine) as s:
        ann, n = announce.create(s, targets=["grid:quehua-1"], text="明天上午停水", created_by="admin",
                                 now=datetime.now(UTC) - timedelta(minutes=2),
                                 at=datetime.now(UTC) - timedelta(minutes=1))  # made before it fell due
        s.commit()
        ann_id = ann.id
    assert n == 0
    await worker.start()
    leader = scheduler(org_engine, pconfig, clock, worker)
    await leader.tick()
    try:
        got = await fake.wait_for(2)  # the robot group and the bridged chat of quehua-1
        assert [d.text for d in got] == ["【通知】明天上午停水"] * 2
    finally:
        await leader.stop()
        await worker.stop()
    with Session(org_engine) as s:
        assert s.get(Announcement, ann_id).status == "sent"
    assert len(fake.delivered) == 2


async def test_only_one_process_leads_and_another_takes_over_when_it_dies(org_engine, db_url, fake, clock):
    cfg = push_config(db_url, fake, scheduler={"lease_seconds": 3})
    a = scheduler(org_engine, cfg, clock, name="a")
    b = scheduler(org_engine, cfg, clock, name="b")
    await a.tick()
    await b.tick()
    assert a.leading and not b.leading
    clock.advance(seconds=2)
    await a.tick()  # renews
    clock.advance(seconds=2)
    await b.tick()
    assert not b.leading
    await a.stop(release=False)  # a dies: its lease lapses on its own
    await b.tick()
    assert not b.leading
    clock.advance(seconds=4)
    await b.tick()
    assert b.leading
    await b.stop()
    c = scheduler(org_engine, cfg, clock, name="c")
    await c.tick()  # b stopped cleanly and released: c leads at once
    assert c.leading
    await c.stop()
