"""The WeCom self-built app, end to end through the real app on SQLite and PostgreSQL: a resident writes to
the app 1:1, WeCom encrypts and signs the callback, gridbot answers with an encrypted passive reply."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlmodel import Session, select

from storage.models import Inbound, Ticket
from tests import wecom_reference as ref
from tests.channels.wecom_platform import WecomAppPlatform, count
from tests.conftest import example_config

REPORT = "3号楼2单元门口的充电桩坏了三天了"

XXE = (b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       b"<xml><Encrypt>&xxe;</Encrypt></xml>")
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
          b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
          b'<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
          b'<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">'
          b"]><xml><Encrypt>&h;</Encrypt></xml>")


@pytest.fixture
def wecom(client, config) -> WecomAppPlatform:
    return WecomAppPlatform(client, config)


async def still_serves(wecom: WecomAppPlatform) -> None:
    answer = await wecom.say("收到")
    assert answer.status == 200, "the server must keep answering after a refused request"


# --- the story -------------------------------------------------------------------------------------------


async def test_a_resident_reports_through_the_app_and_gets_a_ticket_number(wecom, engine, config):
    answer = await wecom.say(REPORT, sender="zhaomin")
    assert answer.status == 200
    content = wecom.content(answer)
    m = re.search(r"工单号 #(\d+)", content)
    assert m, content
    assert "网格员 张伟" in content
    with Session(engine) as s:
        t = s.get(Ticket, int(m.group(1)))
        assert (t.grid_id, t.category, t.channel, t.reporter_id, t.chat_id) == (
            "quehua-1", "charging", "wecom_app", "zhaomin", None)
        inbound = s.exec(select(Inbound)).one()
        assert (inbound.channel, inbound.chat_id, inbound.grid_id) == ("wecom_app", None, "quehua-1")
        assert inbound.sent_at.tzinfo is not None or engine.dialect.name == "sqlite"
    # the passive reply goes from the corp to the sender, as WeCom expects
    import xml.etree.ElementTree as ET
    reply = ET.fromstring(answer.plain)
    assert reply.findtext("ToUserName") == "zhaomin"
    assert reply.findtext("FromUserName") == config.wecom.corp_id


async def test_an_acknowledgement_gets_an_empty_reply_but_is_stored(wecom, engine):
    answer = await wecom.say("收到")
    assert answer.silent
    assert count(engine, Ticket) == 0
    assert count(engine, Inbound) == 1


async def test_a_platform_retry_opens_no_second_ticket_and_gets_the_same_answer(wecom, engine):
    msg_id = "7100000000000000001"
    answers = [await wecom.say(REPORT, msg_id=msg_id) for _ in range(3)]
    contents = {wecom.content(a) for a in answers}
    assert len(contents) == 1 and "工单号 #" in contents.pop()
    assert count(engine, Ticket) == 1
    assert count(engine, Inbound) == 1


async def test_concurrent_retries_while_the_first_is_in_flight_open_one_ticket(wecom, engine):
    msg_id = "7100000000000000002"
    answers = await asyncio.gather(*(wecom.say(REPORT, msg_id=msg_id) for _ in range(3)))
    assert len({wecom.content(a) for a in answers}) == 1
    assert count(engine, Ticket) == 1
    assert count(engine, Inbound) == 1


async def test_events_get_an_empty_200_and_are_not_stored(wecom, engine, config):
    # photos, voice, files and pins are messages now: tests/media/test_wecom_app_media.py
    corp = config.wecom.corp_id
    for inner in (
        f"<xml><ToUserName><![CDATA[{corp}]]></ToUserName><FromUserName><![CDATA[zhaomin]]></FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[enter_agent]]></Event><EventKey><![CDATA[]]></EventKey><AgentID>1000002</AgentID></xml>",
        f"<xml><ToUserName><![CDATA[{corp}]]></ToUserName><FromUserName><![CDATA[zhaomin]]></FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[subscribe]]></Event><AgentID>1000002</AgentID></xml>",
    ):
        answer = await wecom.send_plain(inner)
        assert answer.silent, inner
    assert count(engine, Inbound) == 0


async def test_url_verification_answers_the_plain_echostr(wecom):
    status, text = await wecom.verify_url("1616140317555161061")
    assert (status, text) == (200, "1616140317555161061")


async def test_url_verification_with_a_bad_signature_is_403(wecom):
    status, _ = await wecom.verify_url("1616140317555161061", signature="0" * 40)
    assert status == 403


# --- refusals: nothing stored, the server keeps serving ---------------------------------------------------


async def test_a_bad_signature_is_403_and_nothing_is_stored(wecom, engine):
    answer = await wecom.say(REPORT, signature="0" * 40)
    assert answer.status == 403
    assert count(engine, Inbound) == 0
    await still_serves(wecom)


async def test_missing_query_parameters_are_refused(wecom, engine):
    enc, _ = wecom.sender.seal(wecom.text_xml(REPORT), "0", "0")
    full = wecom.query(enc)
    for missing in full:
        params = {k: v for k, v in full.items() if k != missing}
        answer = await wecom.post_raw(wecom.envelope(enc), params)
        assert answer.status == 403, missing
    assert count(engine, Inbound) == 0


async def test_a_ciphertext_for_another_corp_is_400(wecom, engine, config):
    enc = ref.encrypt(config.wecom.encoding_aes_key, wecom.text_xml(REPORT), "wwSomeOtherCorp")
    answer = await wecom.send_encrypted(enc)
    assert answer.status == 400 and b"receive id" in answer.body
    assert count(engine, Inbound) == 0
    await still_serves(wecom)


@pytest.mark.parametrize("encrypt, reason", [
    ("!!!not-base64!!!", b"base64"),
    ("QUJDRA==", b"length"),
])
async def test_bad_base64_is_400(wecom, engine, encrypt, reason):
    answer = await wecom.send_encrypted(encrypt)  # correctly signed, so only the decoding can refuse it
    assert answer.status == 400 and reason in answer.body
    assert count(engine, Inbound) == 0
    await still_serves(wecom)


async def test_bad_padding_and_bad_length_field_are_400(wecom, engine, config):
    key, corp = config.wecom.encoding_aes_key, config.wecom.corp_id
    body = b"0123456789abcdef" + (3).to_bytes(4, "big") + b"<x>" + corp.encode()
    padded = ref.pkcs7(body)
    bad_pad = padded[:-1] + b"\x00"
    bad_len = ref.pkcs7(b"0123456789abcdef" + (4000).to_bytes(4, "big") + b"<x>" + corp.encode())
    for plain, reason in ((bad_pad, b"padding"), (bad_len, b"exceeds")):
        answer = await wecom.send_encrypted(ref.encrypt_padded(key, plain))
        assert answer.status == 400 and reason in answer.body
    assert count(engine, Inbound) == 0
    await still_serves(wecom)


@pytest.mark.parametrize("body", [
    b"<xml><Encrypt>abc</Encrypt>", b"not xml", b"", b"<xml></xml>", b"<other><Encrypt>x</Encrypt></other>",
    "<xml>\u00e9</xml>".encode("latin-1"),
])
async def test_broken_outer_xml_is_400(wecom, engine, body):
    answer = await wecom.post_raw(body, wecom.query("x"))
    assert answer.status == 400
    assert count(engine, Inbound) == 0
    await still_serves(wecom)


@pytest.mark.parametrize("inner", [
    "<xml><MsgType>text</MsgType><Content>unclosed</xml>",
    "<xml><MsgType><![CDATA[text]]></MsgType><FromUserName>zhaomin</FromUserName><CreateTime>1</CreateTime>"
    "<MsgId>12</MsgId></xml>",  # no Content
    "<xml><MsgType><![CDATA[text]]></MsgType><Content>hi</Content><CreateTime>1</CreateTime>"
    "<MsgId>12</MsgId></xml>",  # no sender
    "<xml><MsgType><![CDATA[text]]></MsgType><Content>hi</Content><FromUserName>zhaomin</FromUserName>"
    "<CreateTime>1</CreateTime><MsgId>abc</MsgId></xml>",  # MsgId not a number
    "<xml><MsgType><![CDATA[text]]></MsgType><Content>hi</Content><FromUserName>zhaomin</FromUserName>"
    "<CreateTime>soon</CreateTime><MsgId>12</MsgId></xml>",
    "<xml><MsgType><![CDATA[text]]></MsgType><Content>hi</Content><FromUserName>" + "u" * 101
    + "</FromUserName><CreateTime>1</CreateTime><MsgId>12</MsgId></xml>",
])
async def test_broken_or_incomplete_decrypted_xml_is_400(wecom, engine, inner):
    answer = await wecom.send_plain(inner)
    assert answer.status == 400
    assert count(engine, Inbound) == 0
    await still_serves(wecom)


@pytest.mark.parametrize("attack", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
async def test_xxe_and_entity_expansion_are_400_outside_and_inside_the_ciphertext(wecom, engine, attack):
    outer = await wecom.post_raw(attack, wecom.query("x"))
    assert outer.status == 400 and b"forbidden" in outer.body
    inner = await wecom.send_plain(attack.decode())
    assert inner.status == 400 and b"forbidden" in inner.body
    assert count(engine, Inbound) == 0
    await still_serves(wecom)


async def test_an_oversize_body_is_413(wecom, engine, config):
    big = wecom.envelope("A" * (config.server.max_body_bytes + 1))
    answer = await wecom.post_raw(big, wecom.query("A"))
    assert answer.status == 413
    assert count(engine, Inbound) == 0
    await still_serves(wecom)


# --- configuration ----------------------------------------------------------------------------------------


@pytest.fixture
async def guarded(aiohttp_client, db_url, engine, classifier):
    from bot.app import create_app

    cfg = example_config(storage={"url": db_url}, wecom={"replay_window_seconds": 300})
    client = await aiohttp_client(create_app(cfg, engine=engine, classifier=classifier))
    return WecomAppPlatform(client, cfg)


async def test_a_stale_timestamp_is_403_when_the_replay_window_is_on(guarded, engine):
    stale = await guarded.say(REPORT, timestamp="1409659813")
    assert stale.status == 403 and b"replay window" in stale.body
    assert count(engine, Inbound) == 0
    fresh = await guarded.say(REPORT)
    assert fresh.status == 200 and "工单号 #" in guarded.content(fresh)


async def test_an_unconfigured_channel_refuses_everything(aiohttp_client, db_url, engine, classifier, config):
    from bot.app import create_app

    cfg = example_config(storage={"url": db_url}, wecom={"token": ""})
    platform = WecomAppPlatform(await aiohttp_client(create_app(cfg, engine=engine, classifier=classifier)),
                                config)  # the platform still signs with the example token
    assert (await platform.say(REPORT)).status == 403
    assert (await platform.verify_url("123"))[0] == 403
    assert count(engine, Inbound) == 0
