"""The AI bot in long-connection mode, against a fake WeCom gateway on loopback (tests/fake_aibot_ws.py), on
SQLite and PostgreSQL: gridbot dials out, subscribes, answers each message after storing it once, keeps
the connection with pings, reconnects with backoff, and loses or doubles nothing across drops and restarts."""

from __future__ import annotations

import asyncio
import json
import logging
import re

import pytest
from sqlmodel import Session, select

from bot.aibot_socket import LEASE
from bot.app import create_app
from bot.appkeys import AIBOT_WS, HTTP
from bot.channels.wecom_aibot import stream_id_for
from bot.config import ConfigError
from bot.outbox_worker import build_worker
from storage import leases
from storage.models import Inbound, Outbox, Ticket
from storage.outbox import enqueue
from storage.types import utcnow
from tests.channels.wecom_platform import count
from tests.conftest import example_config
from tests.fake_aibot_ws import FakeAibotGateway, message

GROUP = "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"  # bound to grid quehua-1 in config.example.toml
REPORT = "@网格通 3号楼2单元门口的充电桩坏了三天了"
LAMP = "5号楼前面的路灯不亮了"
RUBBISH = "小区北门的垃圾两天没人清运了"


@pytest.fixture
async def gateway(aiohttp_server) -> FakeAibotGateway:
    fake = FakeAibotGateway()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("/")).replace("http://", "ws://", 1)
    return fake


def ws_config(db_url, tmp_path, gateway, *, wecom: dict | None = None, **aibot):
    settings = {"mode": "websocket", "bot_id": gateway.bot_id, "secret": gateway.secret, "ws_url": gateway.url,
                "reconnect_base_seconds": 0.01, "reconnect_max_seconds": 0.08, "request_timeout_seconds": 5,
                "lease_seconds": 3} | aibot
    return example_config(storage={"url": db_url}, outbox={"enabled": False}, scheduler={"enabled": False},
                          attachments={"dir": str(tmp_path / "blobs")}, wecom={"aibot": settings, **(wecom or {})})


@pytest.fixture
def start(gateway, aiohttp_client, db_url, tmp_path, engine, classifier):  # the gateway outlives the clients
    """Start a gridbot process (an app) in websocket mode; returns its client (``client.app[AIBOT_WS]``)."""

    async def start_one(*, wait: bool = True, wecom: dict | None = None, **aibot):
        config = ws_config(db_url, tmp_path, gateway, wecom=wecom, **aibot)
        client = await aiohttp_client(create_app(config, engine=engine, classifier=classifier))
        if wait:
            await asyncio.wait_for(client.app[AIBOT_WS].subscribed.wait(), 20)
        return client

    return start_one


def content(reply: dict) -> str:
    assert reply["body"]["msgtype"] == "stream"
    assert reply["body"]["stream"]["finish"] is True
    return reply["body"]["stream"]["content"]


def ticket_no(text: str) -> int:
    m = re.search(r"工单号 #(\d+)", text)
    assert m, text
    return int(m.group(1))


def inbound_ids(engine) -> list[str]:
    with Session(engine) as s:
        return sorted(s.exec(select(Inbound.msg_id)).all())


# --- a message in, a reply out ---------------------------------------------------------------------------------


async def test_a_resident_reports_over_the_long_connection_and_gets_a_ticket_number(start, gateway, engine):
    await start()
    assert gateway.subscribes == [{"bot_id": "aibot-test", "secret": "aibot-secret"}]
    await gateway.deliver(message(REPORT, msgid="m-report", chatid=GROUP))
    await gateway.until(lambda: gateway.replies)
    [reply] = gateway.replies
    assert reply["body"]["stream"]["id"] == stream_id_for("m-report")
    number = ticket_no(content(reply))
    with Session(engine) as s:
        t = s.get(Ticket, number)
        assert (t.grid_id, t.category, t.channel, t.chat_id) == ("quehua-1", "charging", "wecom_aibot", GROUP)
        inbound = s.exec(select(Inbound)).one()
        assert (inbound.channel, inbound.msg_id, inbound.sender_id, inbound.text) == (
            "wecom_aibot", "m-report", "zhaomin", REPORT)
    assert not gateway.unanswered


async def test_a_one_to_one_message_is_answered_in_the_same_way(start, gateway, engine):
    await start()
    await gateway.deliver(message("3号楼2单元门口的充电桩坏了三天了", msgid="m-single"))
    await gateway.until(lambda: gateway.replies)
    assert "工单号 #" in content(gateway.replies[0])
    with Session(engine) as s:
        assert s.exec(select(Inbound)).one().chat_id is None


async def test_a_frame_that_is_not_the_protocol_is_logged_and_the_connection_carries_on(start, gateway, engine,
                                                                                         caplog):
    await start()
    caplog.set_level(logging.WARNING, "gridbot.aibot_ws")
    await gateway.send_raw("not json")
    await gateway.send_raw(json.dumps({"cmd": "aibot_msg_callback", "body": {}}))  # no req_id
    await gateway.send_raw(json.dumps({"cmd": "aibot_msg_callback", "headers": {"req_id": "r1"},
                                       "body": {"msgtype": "text", "text": {"content": "x"}}}))  # no msgid
    await gateway.deliver(message(REPORT, msgid="after-bad", chatid=GROUP))
    await gateway.until(lambda: gateway.replies)
    assert inbound_ids(engine) == ["after-bad"]
    assert gateway.connections == 1
    assert "aibot_ws.bad_frame" in caplog.text and "aibot_ws.refused" in caplog.text


# --- drops and restarts -----------------------------------------------------------------------------------------


async def test_a_reply_lost_with_the_connection_is_answered_again_from_the_store(start, gateway, engine):
    client = await start()
    sock = client.app[AIBOT_WS]
    gateway.lose_reply_for.add("m-lost")
    await gateway.deliver(message(REPORT, msgid="m-lost", chatid=GROUP))
    # the answer was cut off with the connection: the platform still holds the callback, the bot reconnects
    # and gets it again, with a message sent in the meantime
    await gateway.until(lambda: gateway.connections == 2 and gateway.replies)
    await gateway.deliver(message(LAMP, msgid="m-next", chatid=GROUP))
    await gateway.until(lambda: len(gateway.replies) == 2)
    assert gateway.delivered.count("m-lost") == 2
    [again] = gateway.replied("m-lost")
    assert again["body"]["stream"]["id"] == stream_id_for("m-lost")
    assert inbound_ids(engine) == ["m-lost", "m-next"]  # stored once each
    with Session(engine) as s:
        assert [t.id for t in s.exec(select(Ticket).where(Ticket.category == "charging")).all()] == [
            ticket_no(content(again))]
    assert sock.delays and sock.failures == 0


async def test_a_restart_loses_and_doubles_nothing(start, gateway, engine):
    first = await start()
    await gateway.deliver(message(REPORT, msgid="r-1", chatid=GROUP))
    await gateway.until(lambda: gateway.replies)
    gateway.lose_reply_for.add("r-2")
    await gateway.deliver(message(LAMP, msgid="r-2", chatid=GROUP))
    await gateway.until(lambda: gateway.open_now == 0)  # r-2 stored, its answer lost with the connection
    await first.close()  # the process stops before it reconnects
    await gateway.deliver(message(RUBBISH, msgid="r-3", chatid=GROUP))  # written while no gridbot runs
    with Session(engine) as s:  # the stopped process gave the connection up at once
        assert leases.holder_of(s, LEASE, utcnow()) is None

    await start()  # a new process, the same database
    await gateway.until(lambda: len(gateway.replies) == 3)
    assert sorted(r["msgid"] for r in gateway.replies) == ["r-1", "r-2", "r-3"]
    assert inbound_ids(engine) == ["r-1", "r-2", "r-3"]
    assert count(engine, Ticket) == 3
    assert ticket_no(content(gateway.replied("r-2")[0])) != ticket_no(content(gateway.replied("r-1")[0]))
    assert not gateway.unanswered


async def test_only_one_process_holds_the_connection_and_another_takes_over(start, gateway, engine):
    first = await start()
    second = await start(wait=False)
    second_sock = second.app[AIBOT_WS]
    await gateway.deliver(message(REPORT, msgid="p-1", chatid=GROUP))
    await gateway.until(lambda: gateway.replies)
    assert not second_sock.leading and not second_sock.connected
    # /readyz says which worker holds the connection; standing by is no reason to leave the rotation
    ready = [await (await c.get("/readyz")).json() for c in (first, second)]
    assert [(r["ok"], r["aibot"]) for r in ready] == [(True, "connected"), (True, "standby")]
    await first.close()
    await asyncio.wait_for(second_sock.subscribed.wait(), 20)
    assert (await (await second.get("/readyz")).json())["aibot"] == "connected"
    await gateway.deliver(message(LAMP, msgid="p-2", chatid=GROUP))
    await gateway.until(lambda: len(gateway.replies) == 2)
    assert gateway.connections == 2 and gateway.most_open == 1
    assert inbound_ids(engine) == ["p-1", "p-2"]


# --- subscription, heartbeat, backoff ---------------------------------------------------------------------------


async def test_a_refused_subscription_backs_off_exponentially_and_recovers(start, gateway, engine, caplog):
    caplog.set_level(logging.INFO)
    gateway.refuse_auth = True
    await gateway.deliver(message(REPORT, msgid="waits", chatid=GROUP))
    client = await start(wait=False)
    sock = client.app[AIBOT_WS]
    await gateway.until(lambda: gateway.refused >= 5)
    assert inbound_ids(engine) == []  # nothing is handled before the subscription is accepted
    ready = await client.get("/readyz")  # reported, never a 503: HTTP intake goes on without the gateway
    body = await ready.json()
    assert ready.status == 200 and body["aibot"] == "connecting" and body["aibot_failures"] >= 5
    delays = sock.delays[:5]
    for i, d in enumerate(delays):  # 0.01, 0.02, 0.04, 0.08, 0.08 s, each with up to half of it random
        ceiling = min(0.08, 0.01 * 2 ** i)
        assert ceiling / 2 <= d <= ceiling, (i, delays)
    assert "aibot_ws.auth_refused errcode=853000" in caplog.text
    assert gateway.secret not in caplog.text  # never a credential in the logs

    gateway.refuse_auth = False
    await asyncio.wait_for(sock.subscribed.wait(), 20)
    await gateway.until(lambda: gateway.replies)
    assert inbound_ids(engine) == ["waits"] and sock.failures == 0


async def test_a_wrong_secret_is_refused_like_the_platform_does(start, gateway):
    client = await start(wait=False, secret="wrong")
    await gateway.until(lambda: gateway.refused >= 2)
    assert not client.app[AIBOT_WS].connected


async def test_pings_keep_the_connection_and_unanswered_pings_end_it(start, gateway):
    client = await start(heartbeat_seconds=0.05, missed_heartbeats=2)
    await gateway.until(lambda: len(gateway.pings) >= 3)
    assert all(p.startswith("ping") for p in gateway.pings) and gateway.connections == 1
    gateway.answer_pings = False  # the way to the platform is gone without a close
    await gateway.until(lambda: gateway.connections == 2)
    gateway.answer_pings = True
    seen = len(gateway.pings)
    await gateway.until(lambda: len(gateway.pings) >= seen + 2)
    assert client.app[AIBOT_WS].connected


async def test_replaced_by_another_connection_the_bot_waits_the_longest_backoff(start, gateway):
    client = await start()
    sock = client.app[AIBOT_WS]
    await gateway.event("disconnected_event")
    await gateway.drop()
    await gateway.until(lambda: gateway.connections == 2)
    assert 0.04 <= sock.delays[-1] <= 0.08


# --- pushes -----------------------------------------------------------------------------------------------------


async def test_pushes_go_through_the_socket_and_wait_while_it_is_down(start, gateway, engine):
    client = await start()
    sock = client.app[AIBOT_WS]
    worker = build_worker(ws_config_of(client), engine, client.app[HTTP], aibot=sock)
    with Session(engine) as s:
        enqueue(s, "aibot", GROUP, "【通知】明天上午9点停水")
        enqueue(s, "aibot", "zhaomin", "您的工单 #1 已接单")
        s.commit()
    await worker.drain()
    assert gateway.pushes == [
        {"chatid": GROUP, "msgtype": "markdown", "markdown": {"content": "【通知】明天上午9点停水"}},
        {"chatid": "zhaomin", "msgtype": "markdown", "markdown": {"content": "您的工单 #1 已接单"}},
    ]
    with Session(engine) as s:
        assert {r.status for r in s.exec(select(Outbox)).all()} == {"sent"}

    gateway.refuse_auth = True
    await gateway.drop()
    await gateway.until(lambda: gateway.refused >= 1)
    with Session(engine) as s:
        enqueue(s, "aibot", GROUP, "【通知】停水取消")
        s.commit()
    await worker.drain()  # not connected here: the row is left for the process that holds the connection
    with Session(engine) as s:
        row = s.exec(select(Outbox).where(Outbox.status == "pending")).one()
        assert (row.attempts, row.last_error) == (0, None)
    gateway.refuse_auth = False
    await asyncio.wait_for(sock.subscribed.wait(), 20)
    await worker.drain()
    assert gateway.pushes[-1]["markdown"]["content"] == "【通知】停水取消"


async def test_a_push_the_platform_refuses_is_retried_later(start, gateway, engine):
    client = await start()
    worker = build_worker(ws_config_of(client), engine, client.app[HTTP], aibot=client.app[AIBOT_WS])
    gateway.push_errcode = 40058
    with Session(engine) as s:
        enqueue(s, "aibot", GROUP, "【通知】明天上午9点停水")
        s.commit()
    await worker.drain()
    with Session(engine) as s:
        row = s.exec(select(Outbox)).one()
        assert row.status == "pending" and row.attempts == 1 and "errcode=40058" in row.last_error
    assert gateway.pushes == []


async def test_a_resident_who_wrote_to_the_bot_hears_back_through_it(start, gateway, engine):
    # no self-built app configured: the AI bot's connection is the way back to the resident
    client = await start(wecom={"corp_id": "", "secret": ""})
    await gateway.deliver(message("3号楼2单元门口的充电桩坏了三天了", msgid="h-1"))
    await gateway.until(lambda: gateway.replies)
    number = ticket_no(content(gateway.replies[0]))
    await gateway.deliver(message(f"接单 {number}", msgid="h-2", sender="zhangwei"))
    await gateway.until(lambda: len(gateway.replies) == 2)
    with Session(engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.target_kind == "aibot")).all()
        assert [r.target for r in rows] == ["zhaomin"], [(r.target_kind, r.target) for r in rows]
    worker = build_worker(ws_config_of(client), engine, client.app[HTTP], aibot=client.app[AIBOT_WS])
    await worker.drain()
    [push] = gateway.pushes
    assert push["chatid"] == "zhaomin" and f"#{number}" in push["markdown"]["content"]


async def test_cards_work_over_the_long_connection_a_question_with_buttons_and_a_press(start, gateway, engine):
    """The same cards as the callback mode: the clarifying question comes as a template_card answer frame, the
    press comes back as an event frame and is answered with aibot_respond_update_msg; a re-sent press does
    nothing twice."""
    await start()
    await gateway.deliver(message("电梯", msgid="m-vague", chatid=GROUP))
    await gateway.until(lambda: gateway.replies)
    body = gateway.replies[0]["body"]
    assert body["msgtype"] == "template_card"
    card = body["template_card"]
    first = card["button_list"][0]
    await gateway.press("zhaomin", card["task_id"], first["key"], chatid=GROUP, msgid="ev-press")
    await gateway.until(lambda: gateway.updates)
    [update] = gateway.updates
    assert update["body"]["response_type"] == "update_template_card"
    assert "工单号" in update["body"]["template_card"]["main_title"]["title"]
    await gateway.press("zhaomin", card["task_id"], first["key"], chatid=GROUP, msgid="ev-press")  # re-sent
    await gateway.deliver(message("帮助", msgid="m-after", chatid=GROUP))  # answered after the re-sent press
    await gateway.until(lambda: gateway.replied("m-after"))
    assert len(gateway.updates) == 1
    with Session(engine) as s:
        assert len(s.exec(select(Ticket)).all()) == 1
        assert len(s.exec(select(Inbound).where(Inbound.msg_id == "ev-press")).all()) == 1


def ws_config_of(client):
    from bot.appkeys import CONFIG

    return client.app[CONFIG]


# --- configuration ----------------------------------------------------------------------------------------------


def test_websocket_mode_needs_the_bots_id_and_secret():
    with pytest.raises(ConfigError, match=r"wecom\.aibot.*bot_id and secret"):
        example_config(wecom={"aibot": {"mode": "websocket"}})


def test_an_unknown_mode_or_url_is_refused_with_the_key_named():
    with pytest.raises(ConfigError, match=r"wecom\.aibot\.mode"):
        example_config(wecom={"aibot": {"mode": "poll"}})
    with pytest.raises(ConfigError, match=r"wecom\.aibot\.ws_url: .*wss://"):
        example_config(wecom={"aibot": {"mode": "websocket", "bot_id": "b", "secret": "s",
                                        "ws_url": "https://openws.work.weixin.qq.com"}})


def test_callback_mode_stays_the_default_and_needs_no_bot_id():
    config = example_config()
    assert config.wecom.aibot.mode == "callback"
    assert "aibot" not in config.outbound_kinds()
