"""Faults found by trying gridbot as an attacker would; each test failed before its fix."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from bot.app import PIPELINE
from handlers.messages import InboundMessage
from storage.models import Inbound

GOOD = "3号楼2单元门口的充电桩坏了三天了"


def stored(engine, **where) -> list[Inbound]:
    with Session(engine) as s:
        q = select(Inbound)
        for k, v in where.items():
            q = q.where(getattr(Inbound, k) == v)
        return list(s.exec(q).all())


def count(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Inbound)).one()


# --- one bad message fails alone --------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["\u0000", "\x07", "\x1b", "\x7f", "\u0085", "\ud800"])
async def test_control_characters_are_stripped_at_the_edge(group, engine, bad):
    body = {"msg_id": "ctl-1", "chat_id": "bridge-quehua-1", "sender_id": "zhaomin", "sender_name": f"张{bad}三",
            "text": f"你好{bad}世界"}
    said = await group.post(json.dumps(body).encode())  # JSON escapes: a lone surrogate travels as \ud800
    assert said.status == 200
    [row] = stored(engine, msg_id="ctl-1")
    assert row.text == "你好世界" and row.sender_name == "张三"


async def test_line_breaks_tabs_and_mention_spaces_are_kept(group, engine):
    said = await group.say("@网格通\u2005第一行\n第二行\t完", msg_id="keep-1")
    assert said.status == 200
    [row] = stored(engine, msg_id="keep-1")
    assert row.text == "@网格通\u2005第一行\n第二行\t完"


@pytest.mark.parametrize("field", ["msg_id", "sender_id", "chat_id"])
async def test_a_control_character_in_an_id_is_refused(group, engine, field, caplog):
    body = {"msg_id": "id-1", "chat_id": "bridge-quehua-1", "sender_id": "zhaomin", "text": "你好"}
    body[field] = body[field] + "\u0000x"
    with caplog.at_level(logging.WARNING, logger="gridbot.http"):
        said = await group.post(json.dumps(body).encode())
    assert said.status == 400
    assert count(engine) == 0
    assert any(f"{field} contains control characters" in r.getMessage() for r in caplog.records)


async def test_good_messages_beside_a_bad_one_are_all_stored(client, engine, caplog):
    """A message that cannot be stored (here one that bypassed the edge) used to fail its whole group commit."""
    pipeline = client.app[PIPELINE]
    now = datetime.now(UTC)

    def msg(i: int, text: str, name: str = "赵敏") -> InboundMessage:
        return InboundMessage(channel="bridge", msg_id=f"batch-{i}", sender_id=f"r{i}", text=text, sent_at=now,
                              chat_id="bridge-quehua-1", sender_name=name)

    msgs = [msg(i, f"{GOOD} 第{i}次") for i in range(30)]
    msgs.insert(15, msg(99, "坏\ud800消息", name="王秘密"))
    with caplog.at_level(logging.INFO):
        results = await asyncio.gather(*(pipeline.submit(m) for m in msgs), return_exceptions=True)
    bad = results.pop(15)
    assert type(bad).__name__ == "Unstorable"
    assert all(not isinstance(r, Exception) for r in results), results
    assert count(engine) == 30 and not stored(engine, msg_id="batch-99")
    text = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    assert "batch-99" in text
    assert "王秘密" not in text and "坏" not in text and GOOD not in text  # ids, never names or texts


# --- deeply nested JSON -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [100_000, 40])
async def test_deeply_nested_json_on_the_bridge_is_refused_with_400(group, engine, levels, caplog):
    body = b'{"msg_id": "deep", "sender_id": "z", "text": "x", "extra": ' + b"[" * levels + b"]" * levels + b"}"
    with caplog.at_level(logging.WARNING, logger="gridbot.http"):
        said = await group.post(body)
    assert said.status == 400 and "nests deeper" in said.raw["reason"]
    assert count(engine) == 0
    assert any("nests deeper than 32 levels" in r.getMessage() for r in caplog.records)
    assert (await group.say("收到")).status == 200


async def test_brackets_inside_strings_are_not_nesting(group, engine):
    said = await group.say("[" * 40 + "{" * 40, msg_id="brk")
    assert said.status == 200 and len(stored(engine, msg_id="brk")) == 1


async def test_deeply_nested_json_in_an_aibot_callback_is_refused_with_400(client, config, engine):
    from tests.channels.wecom_platform import WecomAibotPlatform

    aibot = WecomAibotPlatform(client, config)
    inner = '{"msgtype": "text", "x": ' + "[" * 50_000 + "]" * 50_000 + "}"
    answer = await aibot.send_plain(inner)
    assert answer.status == 400
    outer = await aibot.post_raw(b'{"encrypt": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", aibot.query("x"))
    assert outer.status == 400
    assert count(engine) == 0


# --- a locked SQLite file -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("writer", ["thread", "process"])
async def test_a_locked_sqlite_file_answers_503_within_the_busy_timeout(aiohttp_client, db_url, tmp_path, writer):
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's file lock")
    import sqlite3

    from bot.app import ENGINE, create_app
    from bot.pipeline import _child_busy_timeout
    from conftest import Bridge, example_config

    config = example_config(storage={"url": db_url}, server={"writer": writer}, outbox={"enabled": False},
                            scheduler={"enabled": False})
    assert config.storage.busy_timeout_seconds == 2.0
    client = await aiohttp_client(create_app(config))
    group = Bridge(client)
    assert (await group.say("收到", msg_id="before")).status == 200
    pipeline = client.app[PIPELINE]
    if writer == "thread":
        with client.app[ENGINE].connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2000
    else:
        assert await asyncio.get_running_loop().run_in_executor(pipeline._writer.executor,
                                                                 _child_busy_timeout) == 2000
    lock = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        said = await group.say(GOOD, msg_id="locked")
        assert said.status == 503
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    retry = await group.say(GOOD, msg_id="locked")
    assert retry.status == 200 and retry.ticket is not None


# --- liveness and readiness -----------------------------------------------------------------------------------------


async def test_readyz_is_ready_with_the_database_and_reports_the_outbox_lag(client):
    live = await client.get("/healthz")
    assert live.status == 200
    ready = await client.get("/readyz")
    body = await ready.json()
    assert ready.status == 200 and body["ok"] and body["database"] == "ok" and body["pipeline"] == "running"
    assert body["outbox_lag_seconds"] == 0
    assert "aibot" not in body  # callback mode: no long connection to report


async def test_readyz_fails_when_the_outbox_lags_past_the_configured_limit(aiohttp_client, db_url, engine,
                                                                           classifier):
    from datetime import timedelta

    from bot.app import create_app
    from conftest import example_config
    from storage import outbox

    config = example_config(storage={"url": db_url}, server={"ready_outbox_lag_seconds": 600},
                            outbox={"enabled": False}, scheduler={"enabled": False})
    client = await aiohttp_client(create_app(config, engine=engine, classifier=classifier))
    with Session(engine) as s:
        outbox.enqueue(s, "user", "wangwu", "旧消息", not_before=datetime.now(UTC) - timedelta(hours=1))
        s.commit()
    ready = await client.get("/readyz")
    body = await ready.json()
    assert ready.status == 503 and not body["ok"] and body["outbox_lag_seconds"] >= 3600
    assert "outbox lags" in body["problems"][0]
    assert (await client.get("/healthz")).status == 200  # alive all the same


async def test_readyz_fails_with_the_database_down_while_healthz_stays_alive(client, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("a database server that goes away")
    import psycopg
    from sqlalchemy.engine import make_url

    from conftest import PG_ADMIN

    name = make_url(db_url).database
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        try:
            ready = await client.get("/readyz")
            body = await ready.json()
            assert ready.status == 503 and body["database"] == "down", body
            assert (await client.get("/healthz")).status == 200
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    assert (await client.get("/readyz")).status == 200


# --- behind a proxy -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("trusted, forwarded, seen", [
    (["127.0.0.1"], "203.0.113.9", "203.0.113.9"),
    (["127.0.0.1"], "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the left-most hop is the client's own claim
    (["127.0.0.1"], "not-an-ip", "127.0.0.1"),
    ([], "203.0.113.9", "127.0.0.1"),  # nobody trusted: the header is ignored
])
async def test_refusals_log_the_real_client_address_from_a_trusted_proxy(aiohttp_client, db_url, engine, classifier,
                                                                         caplog, trusted, forwarded, seen):
    from bot.app import create_app
    from conftest import example_config

    config = example_config(storage={"url": db_url}, server={"trusted_proxies": trusted},
                            outbox={"enabled": False}, scheduler={"enabled": False})
    client = await aiohttp_client(create_app(config, engine=engine, classifier=classifier))
    with caplog.at_level(logging.WARNING, logger="gridbot.http"):
        resp = await client.post("/bridge/message", data=b"{}", headers={"X-Forwarded-For": forwarded})
    assert resp.status == 403
    assert any(f"remote={seen}" in r.getMessage() for r in caplog.records)
