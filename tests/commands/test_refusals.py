"""Wrong role, out of scope, not the reporter: a clear refusal in Chinese, and nothing changes."""

from __future__ import annotations

import pytest

STAFF_COMMANDS = [
    ("接单 {n}", "「接单」只有网格员、书记、管理员可以使用。"),
    ("转派 {n} 城管执法中队", "「转派」只有网格员、书记、管理员可以使用。"),
    ("上报 {n}", "「上报」只有网格员、书记、管理员可以使用。"),
    ("调解 {n}", "「调解」只有网格员、书记、管理员可以使用。"),
    ("调解结果 {n} 和解了", "「调解结果」只有调解员可以使用。"),
    ("回访 {n} 挺好", "「回访」只有网格员、书记、管理员可以使用。"),
    ("办结 {n} 好了", "「办结」只有网格员、调解员、部门人员、书记、管理员可以使用。"),
    ("退单 {n} 不归我们管", "「退单」只有部门人员、网格员、调解员、书记、管理员可以使用。"),
    ("改类 {n} 停车管理", "「改类」只有网格员、书记、管理员可以使用。"),
    ("合并 {n} 到 {other}", "「合并」只有网格员、书记、管理员可以使用。"),
    ("待办", "「待办」只有网格员、调解员、部门人员、书记、管理员可以使用。"),
    ("需求 助餐", "「需求」只有网格员、调解员、部门人员、书记、管理员可以使用。"),
    ("添加资源 某药店 12345678", "「添加资源」只有网格员、书记、管理员可以使用。"),
    ("绑定网格 quehua-1", "「绑定网格」只有管理员、网格员、书记可以使用。"),
]


@pytest.mark.parametrize("sender", ["zhaomin", "stranger"])
async def test_residents_and_strangers_may_not_use_staff_commands(sender, group, report, db):
    n = await report()
    other = await report("4号楼充电桩坏了")
    before = db.snapshot(n), db.count_all()
    for text, refusal in STAFF_COMMANDS:
        said = await group.say(text.format(n=n, other=other), sender=sender)
        assert said.reply == refusal, text
    assert (db.snapshot(n), db.count_all()) == before


async def test_a_worker_of_another_grid_is_refused(group, report, db):
    n = await report()
    before = db.snapshot(n)
    for text in (f"接单 {n}", f"上报 {n}", f"改类 {n} 停车管理", f"进度 {n} 我来看看"):
        said = await group.say(text, sender="liuqiang")
        assert said.reply == f"工单 #{n} 属于鹊华理想社区 · 第一网格，不在您负责的范围内，不能办理。", text
    assert db.snapshot(n) == before


async def test_merging_into_a_ticket_out_of_scope_is_refused(group, fenghuang, report, db):
    n = await report()
    theirs = (await fenghuang.say("8号楼充电桩坏了", sender="r2")).ticket
    before = db.snapshot(n)
    said = await group.say(f"合并 {n} 到 {theirs}", sender="zhangwei")
    assert "属于凤凰理想社区 · 第三网格" in said.reply
    assert db.snapshot(n) == before


async def test_secretaries_act_within_their_community_or_street_only(group, fenghuang, report, db):
    ours = await report()
    theirs = (await fenghuang.say("8号楼充电桩坏了", sender="r2")).ticket
    for sender in ("wangfang", "chenjing", "admin"):  # community quehua, street daqiao, admin of daqiao
        said = await group.say(f"接单 {theirs}", sender=sender)
        assert "不在您负责的范围内" in said.reply, sender
    assert db.ticket(theirs).status == "open"
    said = await group.say(f"接单 {ours}", sender="wangfang")
    assert said.reply.startswith(f"已接单 #{ours}")
    said = await group.say(f"进度 {ours} 社区已介入", sender="chenjing")
    assert "已记录" in said.reply


async def test_a_department_acts_only_on_tickets_transferred_to_it(group, report, db):
    n = await report()
    said = await group.say(f"进度 {n} 我们来处理", sender="sunli")
    assert said.reply == f"工单 #{n} 没有转派给您所在的部门（城管执法中队），不能办理。"
    said = await group.say(f"接单 {n}", sender="sunli")
    assert said.reply == "「接单」只有网格员、书记、管理员可以使用。"
    assert db.kinds(n) == ["opened"]


async def test_mediator_and_worker_roles_do_not_mix(group, report, db):
    n = await report()
    assert "只有网格员、书记、管理员" in (await group.say(f"接单 {n}", sender="lixiuying")).reply
    await group.say(f"接单 {n}", sender="zhangwei")
    await group.say(f"调解 {n}", sender="zhangwei")
    said = await group.say(f"调解结果 {n} 和解了", sender="zhangwei")
    assert said.reply == "「调解结果」只有调解员可以使用。"
    assert db.ticket(n).status == "in_mediation"


async def test_only_the_reporter_rates_a_follower_is_told_the_outcome(group, report, db):
    n = await report("3号楼充电桩坏了", sender="zhaomin")
    await group.say("3号楼的充电桩还是坏的", sender="plusone")  # joins as a follower
    for text in (f"接单 {n}", f"办结 {n} 修好了"):
        await group.say(text, sender="zhangwei")
    before = db.snapshot(n)
    for sender in ("someone", "zhangwei"):
        said = await group.say(f"不满意 {n}", sender=sender)
        assert said.reply == f"只有工单 #{n} 的反映人可以评价。"
    assert db.snapshot(n) == before
    for text in (f"满意 {n}", f"不满意 {n} 没修好", f"基本满意 {n}"):
        said = await group.say(text, sender="plusone")  # a "+1" follower: told, not allowed
        assert said.reply == f"只有工单 #{n} 的反映人可以评价；办理结果会告诉您，随时可发「进度 {n}」查询。"
    assert db.snapshot(n) == before
    said = await group.say(f"进度 {n}", sender="plusone")
    assert "已办结" in said.reply
    said = await group.say(f"满意 {n}", sender="zhaomin")
    assert db.ticket(n).status == "closed"
    assert db.pushes()[-1] == f"工单 #{n} 反映人已评价「满意」，工单已关闭。感谢您的关注。"


async def test_escalating_to_a_level_with_nobody_says_so_and_keeps_the_ticket(group, fenghuang, db):
    n = (await fenghuang.say("8号楼充电桩坏了", sender="r2")).ticket  # 凤凰理想社区 has no secretary
    await fenghuang.say(f"接单 {n}", sender="liuqiang")
    before = db.snapshot(n), db.count_all()
    said = await fenghuang.say(f"上报 {n} 需要社区协调", sender="liuqiang")
    assert "没有登记负责人" in said.reply and "已上报" not in said.reply and f"#{n} 仍在原层级办理" in said.reply
    assert (db.snapshot(n), db.count_all()) == before


async def test_a_resident_adding_text_to_progress_just_asks(group, report, db):
    n = await report()
    said = await group.say(f"进度 {n} 怎么还没人来修", sender="zhaomin")
    assert f"工单 #{n}" in said.reply and "待受理" in said.reply
    assert db.kinds(n) == ["opened"]


async def test_unknown_ticket_and_missing_text(group, report, db):
    n = await report()
    assert (await group.say("接单 999", sender="zhangwei")).reply == "没有找到工单 #999，请核对工单号。"
    await group.say(f"接单 {n}", sender="zhangwei")
    before = db.snapshot(n)
    for text in (f"办结 {n}", f"回访 {n}", f"改类 {n}"):
        said = await group.say(text, sender="zhangwei")
        assert "请写上内容" in said.reply, text
    assert db.snapshot(n) == before


@pytest.mark.parametrize("text", ["接单", "接单 abc", "进度", "办结 99999999999999999999", "接单 1abc",
                                  "进度 1e9", "进度 2147483648"])
async def test_a_command_that_cannot_run_answers_one_line_and_changes_nothing(text, group, report, db):
    n = await report()
    before = db.snapshot(n), db.count_all()
    said = await group.say(text, sender="zhangwei")
    assert said.reply and "\n" not in said.reply and ("工单号" in said.reply or "没有找到工单" in said.reply), text
    assert (db.snapshot(n), db.count_all()) == before


@pytest.mark.parametrize("target", ["community:fenghuang", "street:cuizhai", "role:resident", "user:liuqiang"])
async def test_a_community_secretary_announces_only_inside_their_scope(target, group, db):
    before = db.count_all()
    said = await group.say(f"群发通知 {target} 明天停水", sender="wangfang")
    assert said.reply == f"「{target}」不在您负责的范围内，不能向其群发通知。"
    assert db.count_all() == before


async def test_an_announcement_status_names_every_group(group):
    said = await group.say("群发通知 community:quehua 明天停水", sender="wangfang")
    assert "鹊华理想社区 · 第一网格（群机器人）：已排队发送" in said.reply
    assert "鹊华理想社区 · 第一网格（桥接群 bridge-quehua-1）：已排队发送" in said.reply
