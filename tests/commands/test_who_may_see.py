"""Who may see: 进度 N by role and scope; phone and ID-card numbers masked where many read."""

from __future__ import annotations

from handlers.privacy import mask


def test_mask_phone_and_id_card_numbers():
    assert mask("电话13812345678，身份证370102199001011234") == "电话138****5678，身份证370102********1234"
    assert mask("座机0531-88886666 不变") == "座机0531-88886666 不变"


async def test_a_stranger_cannot_read_someone_elses_ticket(group, fenghuang, report, db):
    n = await report()
    said = await group.say(f"进度 {n}", sender="stranger")
    assert said.reply == f"工单 #{n} 不在您可查看的范围内。"
    said = await fenghuang.say(f"进度 {n}", sender="liuqiang")  # staff of another community
    assert said.reply == f"工单 #{n} 不在您可查看的范围内。"
    for who in ("zhaomin", "zhangwei", "wangfang", "chenjing"):  # reporter, worker, secretaries in scope
        said = await group.say(f"进度 {n}", sender=who)
        assert said.reply.startswith(f"工单 #{n}（"), who


async def test_phone_numbers_in_notes_are_masked_in_the_group_and_shown_to_staff_1to1(group, report, db):
    n = await report()
    await group.say(f"接单 {n}", sender="zhangwei")
    await group.say(f"进度 {n} 师傅电话13812345678 明天到", sender="zhangwei")
    assert "138****5678" in db.pushes()[-1] and "13812345678" not in db.pushes()[-1]
    said = await group.say(f"进度 {n}", sender="zhaomin")
    assert "138****5678" in said.reply
    said = await group.say(f"进度 {n}", sender="zhangwei", chat_id=None)
    assert "13812345678" in said.reply
