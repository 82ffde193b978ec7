"""The AI bot in callback mode answers later through a message's response_url (document/path/101138): one
answer per message, within the hour. A resident who wrote to the bot 1:1 (no group robot, no app) hears back
that way; when no usable URL is left the reply says the resident could not be told."""

from __future__ import annotations

import pytest

from conftest import Bridge
from tests.channels.wecom_platform import WecomAibotPlatform
from tests.push.conftest import push_config

REPORT = "3号楼2单元门口的充电桩坏了三天了"


@pytest.fixture
def pconfig(db_url, fake):
    # the example as shipped: no app secret, so the AI bot's own way back is the only one to a 1:1 resident
    return push_config(db_url, fake, wecom={"secret": ""}, outbox={"enabled": False}, scheduler={"enabled": False})


@pytest.fixture
async def client(aiohttp_client, pconfig, org_engine, classifier, clock):
    from bot.app import create_app

    return await aiohttp_client(create_app(pconfig, engine=org_engine, classifier=classifier, clock=clock.now))


def sent(fake) -> list[str]:
    return [d.content["content"] for d in fake.delivered if d.api == "aibot_reply"]


async def test_a_resident_who_wrote_to_the_ai_bot_is_told_through_its_response_url_once_per_message(
        client, pconfig, fake, worker, clock):
    bot, staff = WecomAibotPlatform(client, pconfig), Bridge(client)
    answer = await bot.say(REPORT, sender="zhaomin", chat_id=None, response_url=fake.response_url())
    n = int(bot.stream(answer)["content"].split("工单号 #")[1].split("\n")[0])

    said = await staff.say(f"接单 {n}", sender="zhangwei")
    assert "已告知反映人" in said.reply, said.reply
    await worker.drain()
    assert [t for t in sent(fake) if f"#{n}" in t and "接单" in t]

    said = await staff.say(f"进度 {n} 明天上午来修", sender="zhangwei")  # that message's URL is spent
    assert "反映人暂时无法收到推送" in said.reply, said.reply

    await bot.say("好的，谢谢", sender="zhaomin", chat_id=None, response_url=fake.response_url())
    said = await staff.say(f"办结 {n} 已更换新的充电桩", sender="zhangwei")
    assert "已请反映人评价" in said.reply, said.reply
    await worker.drain()
    assert [t for t in sent(fake) if f"#{n}" in t and "满意" in t]


async def test_a_response_url_past_its_hour_is_not_used(client, pconfig, fake, worker, clock, org_engine):
    bot, staff = WecomAibotPlatform(client, pconfig), Bridge(client)
    answer = await bot.say(REPORT, sender="zhaomin", chat_id=None, response_url=fake.response_url())
    n = int(bot.stream(answer)["content"].split("工单号 #")[1].split("\n")[0])
    clock.advance(minutes=55)
    said = await staff.say(f"接单 {n}", sender="zhangwei")
    assert "反映人暂时无法收到推送" in said.reply, said.reply
    await worker.drain()
    assert sent(fake) == []
    await bot.say("还没修好", sender="zhaomin", chat_id=None, response_url=fake.response_url())
    from sqlmodel import Session, select

    from storage.models import ReplyUrl

    with Session(org_engine) as s:  # the expired one was dropped when the conversation's next one came
        assert len(s.exec(select(ReplyUrl)).all()) == 1


async def test_a_refused_response_url_is_given_up_at_once_and_listed_without_the_url(
        client, pconfig, fake, worker, org_engine):
    from sqlmodel import Session, select

    from storage.models import Outbox
    from storage.outbox import shown_target

    bot, staff = WecomAibotPlatform(client, pconfig), Bridge(client)
    url = fake.response_url()
    answer = await bot.say(REPORT, sender="zhaomin", chat_id=None, response_url=url)
    n = int(bot.stream(answer)["content"].split("工单号 #")[1].split("\n")[0])
    fake._response_codes.clear()  # the platform no longer knows it
    await staff.say(f"接单 {n}", sender="zhangwei")
    await worker.drain()
    with Session(org_engine) as s:
        (row,) = s.exec(select(Outbox).where(Outbox.target_kind == "aibot_reply")).all()
    assert row.status == "dead" and row.attempts == 1 and "40062" in row.last_error
    assert shown_target(row) == "aibot_reply"  # the URL is a credential: never shown
