"""Binding a new group to a grid, the three lists, the work list (待办) and help by role."""

from __future__ import annotations

from datetime import timedelta

from storage.models import GridChat, ListEntry
from storage.types import utcnow


async def test_an_admin_binds_a_new_group_and_it_starts_taking_reports(group, db):
    first = await group.say("10号楼充电桩坏了", chat_id="new-group", sender="r9")
    assert "还没有绑定网格" in first.reply
    said = await group.say("绑定网格 fenghuang-3", chat_id="new-group", sender="admin")  # admin of daqiao only
    assert said.reply == "凤凰理想社区 · 第三网格不在您负责的范围内。"
    said = await group.say("绑定网格 fenghuang-3", chat_id="new-group", sender="liuqiang")
    assert said.reply.startswith("本群已绑定到 凤凰理想社区 · 第三网格。群里反映的问题会由该网格受理。")
    said = await group.say("10号楼充电桩坏了", chat_id="new-group", sender="r9")
    assert said.ticket is not None and db.ticket(said.ticket).grid_id == "fenghuang-3"
    assert "凤凰理想社区" in said.reply
    said = await group.say("绑定网格 fenghuang-3", chat_id="new-group", sender="liuqiang")
    assert said.reply == "本群已经绑定到 凤凰理想社区 · 第三网格。"


async def test_a_grid_worker_binds_only_their_own_grid(group, db):
    said = await group.say("绑定网格 fenghuang-3", chat_id="g2", sender="zhangwei")
    assert said.reply == "凤凰理想社区 · 第三网格不在您负责的范围内。"
    said = await group.say("绑定网格 quehua-1", chat_id="g2", sender="zhangwei")
    assert "已绑定到 鹊华理想社区 · 第一网格" in said.reply
    said = await group.say("绑定网格 fenghuang-3", chat_id="g2", sender="liuqiang")
    assert "请先发「解绑网格」" in said.reply
    said = await group.say("解绑网格", chat_id="g2", sender="liuqiang")
    assert "不在您负责的范围内" in said.reply
    said = await group.say("解绑网格", chat_id="g2", sender="zhangwei")
    assert said.reply == "本群已与 鹊华理想社区 · 第一网格 解除绑定。"
    assert db.count(GridChat) == 3  # the configured chats only


async def test_binding_refusals(group, db):
    before = db.count(GridChat)
    assert "网格编号" in (await group.say("绑定网格", chat_id="g3", sender="admin")).reply
    said = await group.say("绑定网格 nowhere", chat_id="g3", sender="admin")
    assert "没有编号为「nowhere」的网格" in said.reply and "quehua-1" in said.reply
    said = await group.say("绑定网格 quehua-1", chat_id=None, sender="admin")
    assert "请在要绑定的群里发送" in said.reply
    said = await group.say("绑定网格 quehua-1", chat_id="g3", sender="zhaomin")
    assert said.reply.startswith("「绑定网格」只有")
    assert (await group.say("解绑网格", chat_id="g3", sender="admin")).reply == "本群还没有绑定网格。"
    assert db.count(GridChat) == before


async def test_the_three_lists_kept_and_queried_in_chat(group, fenghuang, db):
    said = await group.say("添加资源 益康大药房 0531-88886666 24小时营业 可送药上门", sender="zhangwei")
    assert said.reply.startswith("已登记到本网格资源清单：[")
    await group.say("添加资源 社区卫生服务站 0531-88887777", sender="wangfang")
    await group.say("添加服务 老年助餐 每天11点在党群服务中心", sender="zhangwei")
    await group.say("添加需求 7号楼独居老人 需要每周上门探访", sender="zhangwei")

    said = await group.say("资源 药房", sender="zhaomin")
    assert "益康大药房" in said.reply and "0531-88886666" in said.reply and "24小时营业" in said.reply
    assert "卫生服务站" not in said.reply
    said = await group.say("资源", sender="zhaomin")
    assert "（2 条）" in said.reply
    said = await group.say("服务 助餐", sender="zhaomin")
    assert "老年助餐" in said.reply and "每天11点" in said.reply
    said = await group.say("资源 宠物医院", sender="zhaomin")
    assert said.reply == "本网格资源清单里没有与「宠物医院」相关的记录。"
    # needs name residents' situations: staff only
    assert said.reply and (await group.say("需求 独居", sender="zhaomin")).reply.startswith("「需求」只有")
    assert "7号楼独居老人" in (await group.say("需求 独居", sender="zhangwei")).reply
    # lists are per grid
    said = await fenghuang.say("资源 药房", sender="r2")
    assert "没有" in said.reply
    # a worker of another grid may not add to this one; a resident may not add at all
    assert "不在您负责的范围内" in (await group.say("添加资源 某店 12345678", sender="liuqiang")).reply
    # "资源回收站满了" is a report, not a command
    said = await group.say("资源回收站旁边垃圾堆满了", sender="zhaomin")
    assert said.ticket is not None
    assert db.count(ListEntry) == 4


async def test_deleting_a_list_entry(group, db):
    said = await group.say("添加资源 快递驿站 13900001111", sender="zhangwei")
    number = int(said.reply.split("[")[1].split("]")[0])
    assert "不在您负责的范围内" in (await group.say(f"删除清单 {number}", sender="liuqiang")).reply
    said = await group.say(f"删除清单 [{number}]", sender="zhangwei")
    assert said.reply == f"已删除清单记录 [{number}] 快递驿站。"
    assert "没有编号" in (await group.say(f"删除清单 {number}", sender="zhangwei")).reply
    assert db.count(ListEntry) == 0


async def test_todo_lists_the_scope_overdue_first(group, fenghuang, report, db):
    a = await report("3号楼充电桩坏了")
    b = await report("5号楼路灯坏了")
    c = await report("6号楼垃圾没人收")
    theirs = (await fenghuang.say("8号楼充电桩坏了", sender="r2")).ticket
    db.set(b, due_at=utcnow() - timedelta(hours=5))  # overdue
    await group.say(f"接单 {a}", sender="zhangwei")
    await group.say(f"接单 {c}", sender="zhangwei")
    await group.say(f"办结 {c} 已清运", sender="zhangwei")  # resolved: no longer to do

    said = await group.say("待办", sender="zhangwei")
    lines = said.reply.splitlines()
    assert lines[0] == "鹊华理想社区 · 第一网格待办工单 2 件（超时的在前）："
    assert lines[1].startswith(f"#{b} 【超时】道路与公共设施 · 待受理 · 时限")
    assert lines[2].startswith(f"#{a} 充电设施 · 已接单")
    assert f"#{theirs}" not in said.reply

    said = await group.say("待办", sender="wangfang")  # community secretary
    assert said.reply.startswith("鹊华理想社区待办工单 2 件")
    said = await group.say("待办", sender="liuqiang")
    assert f"#{theirs}" in said.reply and f"#{a}" not in said.reply
    said = await group.say("待办", sender="sunli")
    assert said.reply == "城管执法中队目前没有待办工单。"
    await group.say(f"转派 {a} 城管执法中队", sender="zhangwei")
    said = await group.say("待办", sender="sunli")
    assert f"#{a}" in said.reply


async def test_help_lists_only_what_the_sender_may_use(group):
    resident = (await group.say("帮助", sender="zhaomin")).reply
    assert "进度 12 —— 查询工单进展" in resident and "满意 12 / 基本满意 12 / 不满意 12 原因" in resident
    assert "资源 关键词" in resident
    assert resident.splitlines()[1] == "· 进度 12 —— 查询工单进展"
    for word in ("接单", "转派", "上报", "调解结果", "办结 12", "待办", "需求 关键词", "添加资源", "进度 12 内容"):
        assert word not in resident, word
    short = (await group.say("帮助", sender="zhangwei")).reply
    assert len(short.splitlines()) == 7 and short.splitlines()[-1].startswith("全部命令请发「帮助 全部」")
    for word in ("待办", "接单 12", "进度 12 内容", "办结 12", "转派 12"):
        assert word in short, word
    assert len((await group.say("帮助", sender="sunli")).reply.splitlines()) == 7
    worker = (await group.say("帮助 全部", sender="zhangwei")).reply
    for word in ("接单 12", "转派 12", "上报 12", "调解 12", "回访 12", "办结 12", "改类 12", "合并 12 到 9", "待办",
                 "进度 12 内容", "绑定网格", "添加资源"):
        assert word in worker, word
    assert "调解结果" not in worker
    mediator = (await group.say("帮助 全部", sender="lixiuying")).reply
    assert "调解结果 12" in mediator and "办结 12" in mediator and "接单 12" not in mediator
    assert worker.count("不满意 12 原因") == 1  # 基本满意 and 不满意 share the line of 满意


async def test_a_resource_search_matches_words_and_synonyms(group):
    await group.say("添加资源 益康大药房 0531-88886666 24小时营业", sender="zhangwei")
    await group.say("添加资源 社区卫生服务站 0531-88880000", sender="zhangwei")
    said = await group.say("资源 药店", sender="zhaomin")
    assert "益康大药房" in said.reply and "卫生服务站" not in said.reply
    said = await group.say("资源 医院", sender="zhaomin")
    assert "社区卫生服务站" in said.reply


async def test_messages_before_binding_are_kept_and_offered_after_it(group, db):
    first = await group.say("10号楼充电桩坏了", chat_id="new-group", sender="r9", name="老王")
    assert "还没有绑定网格" in first.reply
    await group.say("大家好", chat_id="new-group", sender="r8")
    said = await group.say("绑定网格 fenghuang-3", chat_id="new-group", sender="liuqiang")
    assert said.reply.startswith("本群已绑定到 凤凰理想社区 · 第三网格。")
    assert "1 条消息像是诉求" in said.reply and "老王：10号楼充电桩坏了" in said.reply
    number = said.reply.split("[")[1].split("]")[0]
    said = await group.say(f"补录 {number}", chat_id="new-group", sender="liuqiang")
    assert said.ticket is not None and "工单号" in said.reply
    t = db.ticket(said.ticket)
    assert (t.grid_id, t.reporter_id, t.chat_id) == ("fenghuang-3", "bridge:r9", "new-group")
    said = await group.say(f"补录 {number}", chat_id="new-group", sender="liuqiang")  # once only
    assert "没有编号" in said.reply
