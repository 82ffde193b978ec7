"""The AI bot answers with cards where they help: the clarifying question with the likely categories as buttons,
the rating with 满意 / 基本满意 / 不满意; a press comes back as a template_card_event and runs the same code as the
typed answer, and the reply updates the card in place."""

from __future__ import annotations

import itertools
import json

import pytest
from sqlmodel import Session, select

from storage.models import Card, Inbound, Ticket
from tests.channels.wecom_platform import WecomAibotPlatform

CHAT = "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"  # bound to grid quehua-1
_ids = itertools.count(1)


@pytest.fixture
def aibot(client, config) -> WecomAibotPlatform:
    return WecomAibotPlatform(client, config)


def event(sender: str, task_id: str, key: str, *, msg_id: str | None = None) -> str:
    """A press on an AI bot card as the platform sends it (接收事件, document/path/101027)."""
    return json.dumps({
        "msgid": msg_id or f"EVT{next(_ids)}", "create_time": 1700000000, "aibotid": "AIBOTID", "chatid": CHAT,
        "chattype": "group", "from": {"userid": sender}, "msgtype": "event",
        "event": {"eventtype": "template_card_event", "template_card_event": {
            "card_type": "button_interaction", "event_key": key, "task_id": task_id}},
    }, ensure_ascii=False)


async def test_a_vague_message_gets_a_card_and_a_tap_opens_the_ticket(aibot, engine):
    answer = await aibot.say("电梯", sender="zhaomin")
    reply = json.loads(answer.plain)
    assert reply["msgtype"] == "template_card"
    card = reply["template_card"]
    assert card["card_type"] == "button_interaction"
    buttons = {b["text"]: b["key"] for b in card["button_list"]}
    assert "都不是" in buttons and len(buttons) >= 3
    first = card["button_list"][0]

    msg_id = "EVT-press-1"
    pressed = await aibot.send_plain(event("zhaomin", card["task_id"], first["key"], msg_id=msg_id))
    update = json.loads(pressed.plain)
    assert update["response_type"] == "update_template_card"
    assert "工单号" in update["template_card"]["main_title"]["title"]
    with Session(engine) as s:
        (t,) = s.exec(select(Ticket)).all()
        assert t.reporter_id == "zhaomin"
        assert s.exec(select(Card).where(Card.task_id == card["task_id"])).one().status == "done"

    retry = await aibot.send_plain(event("zhaomin", card["task_id"], first["key"], msg_id=msg_id))
    assert retry.silent  # stored once: the retry does nothing
    with Session(engine) as s:
        assert len(s.exec(select(Ticket)).all()) == 1
        assert len(s.exec(select(Inbound).where(Inbound.msg_id == msg_id)).all()) == 1


async def test_the_rating_comes_as_buttons_and_a_tap_rates(aibot, engine):
    with Session(engine) as s:
        from datetime import UTC, datetime, timedelta

        now = datetime.now(UTC)
        t = Ticket(grid_id="quehua-1", category="charging", status="resolved", text="充电桩坏了", reporter_id="zhaomin",
                   channel="wecom_aibot", chat_id=CHAT, assignee="zhangwei", due_at=now + timedelta(days=1),
                   resolved_at=now, rating_due_at=now + timedelta(days=3))
        s.add(t)
        s.commit()
        n = t.id
    answer = await aibot.say(f"进度 {n}", sender="zhaomin")
    card = json.loads(answer.plain)["template_card"]
    assert [b["text"] for b in card["button_list"]] == ["满意", "基本满意", "不满意"]

    other = await aibot.send_plain(event("lixiuying", card["task_id"], card["button_list"][0]["key"]))
    assert json.loads(other.plain)["template_card"]["main_title"]["title"] == "这张卡片不是发给您的，无法操作。"

    pressed = await aibot.send_plain(event("zhaomin", card["task_id"], card["button_list"][0]["key"]))
    assert json.loads(pressed.plain)["template_card"]["main_title"]["title"] == "已评价：满意"
    with Session(engine) as s:
        t = s.get(Ticket, n)
        assert (t.status, t.rating) == ("closed", "satisfied")
