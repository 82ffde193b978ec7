"""A flood from one sender (or one chat) gets one polite notice and is dropped after it; others go on."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from bot.app import create_app
from conftest import Bridge, example_config
from handlers import texts_ops
from storage.models import Inbound


def stored(engine, sender: str | None = None) -> int:
    with Session(engine) as s:
        q = select(func.count()).select_from(Inbound)
        if sender:
            q = q.where(Inbound.sender_id == sender)
        return s.exec(q).one()


@pytest.fixture
async def limited(aiohttp_client, db_url, engine, classifier):
    config = example_config(storage={"url": db_url}, outbox={"enabled": False}, scheduler={"enabled": False},
                            limits={"sender_per_minute": 5, "chat_per_minute": 12})
    return Bridge(await aiohttp_client(create_app(config, engine=engine, classifier=classifier)))


async def test_a_flooding_sender_gets_one_notice_then_silence_and_others_go_on(limited, engine, caplog):
    with caplog.at_level(logging.WARNING, logger="gridbot.ratelimit"):
        said = [await limited.say(f"查询 {i}", sender="flood") for i in range(9)]
    assert all(s.status == 200 for s in said)
    assert [s.reply for s in said[5:]] == [texts_ops.RATE_LIMITED, None, None, None]
    assert stored(engine, "bridge:flood") == 5  # dropped messages are not stored (the bridge's own ids)
    other = await limited.say("3号楼2单元门口的充电桩坏了三天了", sender="zhaomin")
    assert other.status == 200 and other.ticket is not None
    assert sum("ratelimit.limited kind=sender" in r.getMessage() for r in caplog.records) == 1


async def test_a_flooding_chat_gets_one_notice_then_silence(limited, engine):
    said = await asyncio.gather(*(limited.say(f"收到{i}", sender=f"r{i % 6}") for i in range(20)))
    notices = [s.reply for s in said if s.reply == texts_ops.CHAT_RATE_LIMITED]
    assert len(notices) == 1
    assert stored(engine) == 12
    elsewhere = Bridge(limited.client, chat_id="bridge-quehua-2")
    assert (await elsewhere.say("收到", sender="r1")).status == 200
    assert stored(engine) == 13


async def test_the_limits_are_on_by_default(config):
    assert config.limits.sender_per_minute == 60 and config.limits.chat_per_minute == 600


def test_a_new_minute_lets_the_sender_speak_again_and_logs_the_dropped_count(caplog):
    from datetime import UTC, datetime

    from bot.ratelimit import RateLimiter
    from handlers.messages import InboundMessage

    t = [0.0]
    lim = RateLimiter(2, 0, monotonic=lambda: t[0])
    msg = InboundMessage("bridge", "m", "s", "x", datetime.now(UTC), chat_id="c")
    with caplog.at_level(logging.WARNING, logger="gridbot.ratelimit"):
        got = [lim.check(msg) for _ in range(6)]
        assert got[:2] == [None, None] and got[2].text == texts_ops.RATE_LIMITED and got[3].text is None
        t[0] = 61.0
        assert lim.check(msg) is None
    assert any("dropped=3" in r.getMessage() for r in caplog.records)
