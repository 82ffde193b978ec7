"""The WeCom AI bot (智能机器人, API mode), end to end on SQLite and PostgreSQL: residents @ the bot in their
grid's group chat or write to it 1:1; callbacks are encrypted JSON, replies an encrypted finished stream."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from sqlmodel import Session, select

from bot.channels.wecom_aibot import stream_id_for
from storage.models import Inbound, Ticket
from tests import wecom_reference as ref
from tests.channels.test_wecom_app import LAUGHS, XXE
from tests.channels.wecom_platform import WecomAibotPlatform, count
from tests.conftest import example_config

GROUP = "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"  # bound to grid quehua-1 in config.example.toml
REPORT = "@网格通 3号楼2单元门口的充电桩坏了三天了"


@pytest.fixture
def aibot(client, config) -> WecomAibotPlatform:
    return WecomAibotPlatform(client, config)


async def still_serves(aibot: WecomAibotPlatform) -> None:
    assert (await aibot.say("收到")).status == 200, "the server must keep answering after a refused request"


async def test_a_resident_reports_in_the_grid_group_and_gets_a_ticket_number(aibot, engine):
    answer = await aibot.say(REPORT, sender="zhaomin", msg_id="CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=")
    assert answer.status == 200
    stream = aibot.stream(answer)
    assert stream["id"] == stream_id_for("CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=")
    m = re.search(r"工单号 #(\d+)", stream["content"])
    assert m, stream["content"]
    with Session(engine) as s:
        t = s.get(Ticket, int(m.group(1)))
        assert (t.grid_id, t.category, t.channel, t.chat_id) == ("quehua-1", "charging", "wecom_aibot", GROUP)
        inbound = s.exec(select(Inbound)).one()
        assert (inbound.chat_id, inbound.sender_id, inbound.text) == (GROUP, "zhaomin", REPORT)


async def test_a_one_to_one_chat_takes_the_grid_from_the_sender(aibot, engine):
    answer = await aibot.say("3号楼2单元门口的充电桩坏了三天了", chat_id=None)
    assert "工单号 #" in aibot.stream(answer)["content"]
    with Session(engine) as s:
        inbound = s.exec(select(Inbound)).one()
        assert (inbound.chat_id, inbound.grid_id) == (None, "quehua-1")


async def test_a_mixed_message_uses_its_text_items(aibot, engine):
    msg = json.loads(aibot.text_json("x"))
    del msg["text"]
    msg["msgtype"] = "mixed"
    msg["mixed"] = {"msg_item": [
        {"msgtype": "text", "text": {"content": "@网格通 3号楼2单元门口的充电桩坏了三天了"}},
        {"msgtype": "image", "image": {"url": "https://x/y"}},
    ]}
    answer = await aibot.send_plain(json.dumps(msg, ensure_ascii=False))
    assert "工单号 #" in aibot.stream(answer)["content"]


async def test_an_acknowledgement_gets_an_empty_reply(aibot, engine):
    answer = await aibot.say("@网格通 收到")
    assert answer.silent
    assert count(engine, Ticket) == 0 and count(engine, Inbound) == 1


async def test_a_platform_retry_opens_no_second_ticket_and_gets_the_same_answer(aibot, engine):
    answers = [await aibot.say(REPORT, msg_id="retry-1") for _ in range(3)]
    streams = [aibot.stream(a) for a in answers]
    assert all(s == streams[0] for s in streams) and "工单号 #" in streams[0]["content"]
    concurrent = await asyncio.gather(*(aibot.say(REPORT, msg_id="retry-2") for _ in range(3)))
    assert len({json.dumps(aibot.stream(a)) for a in concurrent}) == 1
    with Session(engine) as s:
        assert len(s.exec(select(Ticket)).all()) == 1  # retry-2 joins retry-1's ticket as the same report
    assert count(engine, Inbound) == 2


async def test_events_and_other_message_types_get_an_empty_200(aibot, engine):
    base = {"msgid": "e1", "aibotid": "AIBOTID", "chattype": "single", "from": {"userid": "zhaomin"}}
    for extra in ({"msgtype": "event", "event": {"eventtype": "enter_chat"}},
                  {"msgtype": "stream", "stream": {"id": "abc"}}):  # images: tests/media
        answer = await aibot.send_plain(json.dumps(base | extra))
        assert answer.silent, extra
    assert count(engine, Inbound) == 0


async def test_url_verification_uses_an_empty_receive_id(aibot):
    assert await aibot.verify_url("5927782489442352469") == (200, "5927782489442352469")
    assert (await aibot.verify_url("5927782489442352469", signature="f" * 40))[0] == 403


async def test_a_bad_signature_is_403_and_nothing_is_stored(aibot, engine):
    assert (await aibot.say(REPORT, signature="0" * 40)).status == 403
    assert count(engine, Inbound) == 0
    await still_serves(aibot)


async def test_a_ciphertext_with_a_corp_id_as_receive_id_is_400(aibot, engine, config):
    enc = ref.encrypt(config.wecom.aibot.encoding_aes_key, aibot.text_json(REPORT), config.wecom.corp_id)
    answer = await aibot.send_encrypted(enc)
    assert answer.status == 400 and b"receive id" in answer.body
    assert count(engine, Inbound) == 0
    await still_serves(aibot)


async def test_bad_base64_and_bad_padding_are_400(aibot, engine, config):
    key = config.wecom.aibot.encoding_aes_key
    bad_pad = ref.pkcs7(b"0123456789abcdef" + (2).to_bytes(4, "big") + b"{}")[:-1] + b"\x21"
    for enc, reason in (("%%%", b"base64"), (ref.encrypt_padded(key, bad_pad), b"padding")):
        answer = await aibot.send_encrypted(enc)
        assert answer.status == 400 and reason in answer.body
    assert count(engine, Inbound) == 0
    await still_serves(aibot)


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"encrypt": 5}', b"{}", b"", XXE, LAUGHS, b"\xff\xfe"])
async def test_broken_outer_json_is_400(aibot, engine, body):
    assert (await aibot.post_raw(body, aibot.query("x"))).status == 400
    assert count(engine, Inbound) == 0
    await still_serves(aibot)


def _msg(**changes) -> str:
    msg = json.loads(WecomAibotPlatform.text_json(REPORT))
    for k, v in changes.items():
        if v is None:
            msg.pop(k, None)
        else:
            msg[k] = v
    return json.dumps(msg, ensure_ascii=False)


@pytest.mark.parametrize("inner", [
    "{not json", "[1, 2]", XXE.decode(), _msg(msgtype=None), _msg(text=None), _msg(text={"content": 5}),
    _msg(**{"from": None}), _msg(**{"from": {"userid": ""}}), _msg(msgid=None), _msg(msgid=12345),
    _msg(chattype="channel"), _msg(chatid=None), _msg(chatid="c" * 201),
])
async def test_broken_or_incomplete_decrypted_json_is_400(aibot, engine, inner):
    answer = await aibot.send_plain(inner)
    assert answer.status == 400
    assert count(engine, Inbound) == 0
    await still_serves(aibot)


async def test_an_oversize_body_is_413(aibot, engine, config):
    big = json.dumps({"encrypt": "A" * (config.server.max_body_bytes + 1)})
    assert (await aibot.post_raw(big, aibot.query("A"))).status == 413
    assert count(engine, Inbound) == 0
    await still_serves(aibot)


@pytest.fixture
async def guarded(aiohttp_client, db_url, engine, classifier):
    from bot.app import create_app

    cfg = example_config(storage={"url": db_url}, wecom={"replay_window_seconds": 300})
    client = await aiohttp_client(create_app(cfg, engine=engine, classifier=classifier))
    return WecomAibotPlatform(client, cfg)


async def test_a_stale_timestamp_is_403_when_the_replay_window_is_on(guarded, engine):
    stale = await guarded.say(REPORT, timestamp="1409659813")
    assert stale.status == 403 and b"replay window" in stale.body
    assert count(engine, Inbound) == 0
    assert "工单号 #" in guarded.stream(await guarded.say(REPORT))["content"]


async def test_an_unconfigured_channel_refuses_everything(aiohttp_client, db_url, engine, classifier, config):
    from bot.app import create_app

    cfg = example_config(storage={"url": db_url},
                         wecom={"aibot": {"token": "",
                                          "encoding_aes_key": config.wecom.aibot.encoding_aes_key}})
    platform = WecomAibotPlatform(await aiohttp_client(create_app(cfg, engine=engine, classifier=classifier)),
                                  config)
    assert (await platform.say(REPORT)).status == 403
    assert (await platform.verify_url("123"))[0] == 403
    assert count(engine, Inbound) == 0
