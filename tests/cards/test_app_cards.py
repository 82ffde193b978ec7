"""Cards for staff through the self-built app, on SQLite and PostgreSQL: a new ticket reaches its grid worker as a
card, one tap accepts it, the card is updated in place, a second worker's tap is refused with a note, a platform
retry does nothing twice, and an expired ResponseCode falls back to a short message."""

from __future__ import annotations

import re

from sqlalchemy import func
from sqlmodel import Session, select

from handlers import card_specs, notify
from storage.models import Card, Inbound, Outbox, Ticket, TicketEvent
from tests.conftest import Bridge

REPORT = "3号楼2单元门口的充电桩坏了三天了"


def rows(engine, model) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


async def report(app_client, fake, worker) -> tuple[int, object]:
    said = await Bridge(app_client).say(REPORT, sender="zhaomin")
    assert said.ticket is not None
    await worker.drain()
    (card,) = fake.cards("zhangwei")
    return said.ticket, card


async def press(wecom, fake, card, button: str, sender: str, **kw):
    xml = wecom.card_event_xml(sender=sender, task_id=card.content["task_id"], event_key=card.buttons[button],
                               response_code=kw.pop("code", None) or fake.issue_response_code(card.content["task_id"]),
                               **kw)
    return await wecom.send_plain(xml), xml


async def test_a_new_ticket_arrives_as_a_card_and_one_tap_accepts_it(app_client, wecom, fake, worker, org_engine):
    n, card = await report(app_client, fake, worker)
    c = card.content
    assert c["card_type"] == "button_interaction" and c["main_title"]["title"] == f"新工单 #{n}"
    assert {"keyname": "类别", "value": "充电设施"} in c["horizontal_content_list"]
    assert any(h["keyname"] == "时限" for h in c["horizontal_content_list"])
    assert c["quote_area"]["quote_text"] == REPORT
    assert list(card.buttons) == ["接单", "转派"]  # 退单 does not work from 待受理: not offered

    answer, _ = await press(wecom, fake, card, "接单", "zhangwei")
    assert answer.silent  # the card is answered through the API, not the passive reply
    with Session(org_engine) as s:
        t = s.get(Ticket, n)
        assert (t.status, t.assignee) == ("accepted", "zhangwei")
        assert s.exec(select(Card).where(Card.task_id == c["task_id"])).one().status == "done"
    await worker.drain()
    (update,) = fake.updates
    assert update["userids"] == ["zhangwei"]
    assert re.fullmatch(r"已由 张伟 接单 \d\d:\d\d", update["button"]["replace_name"])


async def test_a_second_worker_is_refused_with_a_note_and_a_retry_does_nothing_twice(app_client, wecom, fake,
                                                                                      worker, org_engine, clock):
    n, card = await report(app_client, fake, worker)
    with Session(org_engine) as s:  # the community secretary got the same ticket on a card of her own
        notify.configure(s, _rules(app_client))
        card_specs.to_member(s, "wangfang", "请派单", s.get(Ticket, n), title=f"工单 #{n}", now=clock.now())
        s.commit()
    await worker.drain()
    (other,) = fake.cards("wangfang")

    _, first = await press(wecom, fake, card, "接单", "zhangwei")
    inbound, outbox = rows(org_engine, Inbound), rows(org_engine, Outbox)
    retry = await wecom.send_plain(first)  # the platform sends the same event again
    assert retry.silent
    assert (rows(org_engine, Inbound), rows(org_engine, Outbox)) == (inbound, outbox)

    await press(wecom, fake, other, "接单", "wangfang")
    with Session(org_engine) as s:
        assert s.get(Ticket, n).assignee == "zhangwei"
        accepted = s.exec(select(TicketEvent).where(TicketEvent.ticket_id == n, TicketEvent.kind == "accepted")).all()
        assert len(accepted) == 1
        (note,) = s.exec(select(Inbound.reply).where(Inbound.sender_id == "wangfang")).all()
    assert re.fullmatch(rf"工单 #{n} 已由 张伟 接单 \d\d:\d\d，无需重复操作。", note)
    await worker.drain()
    assert [u["userids"] for u in fake.updates] == [["zhangwei"], ["wangfang"]]
    assert fake.updates[1]["button"]["replace_name"].startswith("已由 张伟 接单")

    again, _ = await press(wecom, fake, card, "接单", "zhangwei", created="1700000000")  # a double tap
    assert again.silent
    with Session(org_engine) as s:
        assert len(s.exec(select(TicketEvent).where(TicketEvent.ticket_id == n,
                                                    TicketEvent.kind == "accepted")).all()) == 1


async def test_an_expired_response_code_falls_back_to_a_short_message(app_client, wecom, fake, worker, org_engine,
                                                                       clock):
    n, card = await report(app_client, fake, worker)
    code = fake.issue_response_code(card.content["task_id"])
    clock.advance(hours=73)  # past the code's validity
    await press(wecom, fake, card, "接单", "zhangwei", code=code)
    sent = len(fake.delivered)
    await worker.drain()
    assert fake.updates == []
    (msg,) = [d for d in fake.delivered[sent:] if d.api == "message"]  # (the reporter is told too)
    assert (msg.api, msg.target, msg.msgtype) == ("message", "zhangwei", "text")
    assert msg.text.startswith("已由 张伟 接单") and f"已接单 #{n}" in msg.text


async def test_a_press_on_someone_elses_card_changes_nothing(app_client, wecom, fake, worker, org_engine):
    n, card = await report(app_client, fake, worker)
    await press(wecom, fake, card, "接单", "liuqiang")
    with Session(org_engine) as s:
        assert s.get(Ticket, n).status == "open"
        (reply,) = s.exec(select(Inbound.reply).where(Inbound.sender_id == "liuqiang")).all()
    assert reply == "这张卡片不是发给您的，无法操作。"


async def test_transfer_by_card_asks_for_the_target_and_the_reply_completes_it(app_client, wecom, fake, worker,
                                                                                org_engine):
    n, card = await report(app_client, fake, worker)
    await press(wecom, fake, card, "转派", "zhangwei")
    answer = await wecom.say("城管执法中队", sender="zhangwei")
    assert "城管执法中队" in wecom.content(answer)
    with Session(org_engine) as s:
        assert s.get(Ticket, n).department == "城管执法中队"


async def test_resolve_by_card_with_a_common_result(app_client, wecom, fake, worker, org_engine, clock):
    n, card = await report(app_client, fake, worker)
    await press(wecom, fake, card, "接单", "zhangwei")
    with Session(org_engine) as s:  # the overdue warning comes as a card with what works now
        notify.configure(s, _rules(app_client))
        card_specs.to_member(s, "zhangwei", "超期", s.get(Ticket, n), title=f"工单 #{n} 已超期", now=clock.now())
        s.commit()
    await worker.drain()
    warning = fake.cards("zhangwei")[-1]
    assert list(warning.buttons) == ["办结", "转派", "退单"]
    await press(wecom, fake, warning, "办结", "zhangwei")
    await worker.drain()
    vote = fake.cards("zhangwei")[-1]
    assert vote.content["card_type"] == "vote_interaction"
    options = {o["text"]: o["id"] for o in vote.content["checkbox"]["option_list"]}
    xml = wecom.card_event_xml(sender="zhangwei", task_id=vote.content["task_id"],
                               event_key=vote.content["submit_button"]["key"], card_type="vote_interaction",
                               response_code=fake.issue_response_code(vote.content["task_id"]),
                               selected={vote.content["checkbox"]["question_key"]: [options["已维修恢复"]]})
    await wecom.send_plain(xml)
    with Session(org_engine) as s:
        t = s.get(Ticket, n)
        assert t.status == "resolved"
        ev = s.exec(select(TicketEvent).where(TicketEvent.ticket_id == n, TicketEvent.kind == "resolved")).one()
        assert ev.text == "已维修恢复"


def _rules(app_client):
    from bot.appkeys import CONFIG

    return app_client.server.app[CONFIG].ticket_rules()
