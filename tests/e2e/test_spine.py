"""The spine, through the signed JSON bridge: a resident's message becomes a tracked ticket."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func
from sqlmodel import Session, select

from storage.models import Inbound, Outbox, Ticket, TicketEvent


def count(engine, model) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


async def test_a_resident_reports_and_gets_a_ticket_number(group, engine):
    said = await group.say("3号楼2单元门口的充电桩坏了三天了", sender="zhaomin", name="赵敏")
    assert said.status == 200
    assert said.ticket is not None
    assert f"工单号 #{said.ticket}" in said.reply
    assert "充电设施" in said.reply
    assert "网格员 张伟" in said.reply
    assert "办理时限" in said.reply
    assert f"进度 {said.ticket}" in said.reply
    with Session(engine) as s:
        t = s.get(Ticket, said.ticket)
        assert (t.category, t.status, t.grid_id, t.assignee) == ("charging", "open", "quehua-1", "zhangwei")
        assert t.location == "b3|u2" or t.location.startswith("b3|u2")
        assert t.due_at > t.created_at
        kinds = [e.kind for e in s.exec(select(TicketEvent).where(TicketEvent.ticket_id == t.id)).all()]
        assert kinds == ["opened"]
        # the responsible grid worker is told through the outbox, in the same transaction
        notes = s.exec(select(Outbox).where(Outbox.target == "zhangwei")).all()
        assert len(notes) == 1 and f"#{t.id}" in notes[0].body["content"]


async def test_thanks_and_acknowledgements_get_no_ticket_and_no_reply(group, engine):
    for text in ("收到", "谢谢王书记", "好的好的👍", "[强][强]"):
        said = await group.say(text)
        assert said.status == 200
        assert said.reply is None and said.ticket is None, text
    assert count(engine, Ticket) == 0
    assert count(engine, Inbound) == 4  # stored all the same


async def test_progress_query_in_all_three_forms(group):
    opened = await group.say("小区东门的路灯坏了一个星期了 晚上黑乎乎的")
    n = opened.ticket
    assert n is not None
    for text in (f"进度 {n}", f"查询 {n}", f"#{n} 进度", f"进度#{n}", f"@网格通 进度 {n}"):
        said = await group.say(text)
        assert said.status == 200
        assert f"工单 #{n}" in said.reply and "待受理" in said.reply, text
        assert said.ticket == n


async def test_progress_of_unknown_ticket_says_so(group):
    said = await group.say("进度 9999")
    assert said.reply == "没有找到工单 #9999，请核对工单号。"


async def test_my_tickets_lists_the_senders_open_tickets(group):
    a = await group.say("楼下的垃圾桶满了好几天没人清运", sender="u1")
    await group.say("9号楼门口的井盖没了 太危险了", sender="u2")
    said = await group.say("我的工单", sender="u1")
    assert f"#{a.ticket}" in said.reply and "1 件" in said.reply
    said = await group.say("我的工单", sender="nobody")
    assert said.reply == "您目前没有办理中或待评价的工单。"


async def test_a_retry_never_opens_a_second_ticket_and_gets_the_same_answer(group, engine):
    first = await group.say("5号楼电梯坏了 老人下不了楼", msg_id="retry-1")
    again = [await group.say("5号楼电梯坏了 老人下不了楼", msg_id="retry-1") for _ in range(3)]
    assert all(a.reply == first.reply and a.ticket == first.ticket for a in again)
    assert count(engine, Ticket) == 1
    assert count(engine, Inbound) == 1


async def test_concurrent_retries_of_one_message_are_handled_once(group, engine):
    results = await asyncio.gather(*(group.say("12号楼门口的充电桩坏了 充不上电", msg_id="same") for _ in range(5)))
    assert len({r.ticket for r in results}) == 1
    assert len({r.reply for r in results}) == 1
    assert count(engine, Ticket) == 1 and count(engine, Inbound) == 1


async def test_urgent_request_says_so_and_has_the_short_deadline(group, engine):
    said = await group.say("7号楼2单元楼道里着火了 冒黑烟")
    assert said.ticket is not None
    assert "【紧急】" in said.reply
    with Session(engine) as s:
        t = s.get(Ticket, said.ticket)
        assert t.urgent and t.category == "safety"
        assert (t.due_at - t.created_at).total_seconds() == 2 * 3600
        note = s.exec(select(Outbox).where(Outbox.target == "zhangwei")).one()
        assert note.body["content"].startswith("【紧急】")


async def test_same_problem_again_joins_the_open_ticket(group, engine):
    first = await group.say("3号楼2单元的充电桩坏了", sender="a")
    second = await group.say("3#楼二单元充电桩又不能用了", sender="b")
    assert second.ticket == first.ticket
    assert f"#{first.ticket}" in second.reply and "+1" in second.reply
    assert count(engine, Ticket) == 1
    said = await group.say("我的工单", sender="b")
    assert f"#{first.ticket}" in said.reply


async def test_unknown_chat_gets_one_polite_notice_and_no_ticket(group, engine):
    first = await group.say("3号楼的充电桩坏了", chat_id="some-new-group")
    assert "还没有绑定网格" in first.reply and first.ticket is None
    second = await group.say("路灯也坏了", chat_id="some-new-group")
    assert second.reply is None
    assert count(engine, Ticket) == 0 and count(engine, Inbound) == 2


async def test_unregistered_sender_one_to_one_gets_one_notice(group, engine):
    first = await group.say("充电桩坏了", chat_id=None, sender="stranger")
    assert "还没有登记所属网格" in first.reply
    assert (await group.say("路灯坏了", chat_id=None, sender="stranger")).reply is None
    # a registered resident in 1:1 is placed in their own grid
    said = await group.say("3号楼门口的充电桩坏了", chat_id=None, sender="zhaomin")
    assert said.ticket is not None
    assert count(engine, Ticket) == 1


async def test_unknown_slash_command_is_answered(group, engine):
    said = await group.say("/frobnicate 3")
    assert "没有「/frobnicate」这个命令" in said.reply
    assert count(engine, Ticket) == 0


async def test_help_lists_commands(group):
    said = await group.say("帮助")
    assert "进度 12" in said.reply and "我的工单" in said.reply


async def test_bad_signature_is_refused_and_nothing_is_stored(group, engine):
    body = json.dumps({"msg_id": "x", "chat_id": "bridge-quehua-1", "sender_id": "a", "text": "充电桩坏了"}).encode()
    assert (await group.post(body, signature="sha256=" + "0" * 64)).status == 403
    assert (await group.post(body, signature="")).status == 403
    assert count(engine, Inbound) == 0


async def test_broken_json_and_missing_fields_are_400_and_nothing_is_stored(group, engine):
    for body in (b"{not json", b"[1,2]", json.dumps({"msg_id": "x"}).encode(), "\xff".encode("latin-1"),
                 json.dumps({"msg_id": "x", "sender_id": "a", "text": "t", "sent_at": "2026-01-01T00:00:00"}).encode()):
        said = await group.post(body)
        assert said.status == 400, body
    assert count(engine, Inbound) == 0
    # and the server is still up
    assert (await group.say("收到")).status == 200


async def test_oversize_body_is_413(group, engine):
    body = json.dumps({"msg_id": "big", "sender_id": "a", "text": "啊" * 200_000}).encode()
    said = await group.post(body)
    assert said.status == 413
    assert count(engine, Inbound) == 0
