"""The district's way of working, story by story, through the signed JSON bridge."""

from __future__ import annotations

from storage.models import Ticket


async def test_a_worker_accepts_reports_progress_resolves_and_the_resident_is_satisfied(group, report, db):
    n = await report("3号楼充电桩坏了")

    said = await group.say(f"接单 {n}", sender="zhangwei")
    assert said.reply.startswith(f"已接单 #{n}") and "办理时限" in said.reply
    t = db.ticket(n)
    assert (t.status, t.assignee, t.version) == ("accepted", "zhangwei", 2)
    assert any(f"#{n} 已由网格员 张伟接单" in p and "办理时限" in p for p in db.pushes())

    said = await group.say(f"进度 {n} 已联系厂家，明天上午来换", sender="zhangwei")
    assert said.reply == f"已记录工单 #{n} 的进展，反映人会在群里看到。"
    assert db.ticket(n).status == "in_progress"
    assert any("已联系厂家，明天上午来换" in p for p in db.pushes())
    # the resident asks and sees the note
    said = await group.say(f"进度 {n}", sender="zhaomin")
    assert "办理中" in said.reply and "已联系厂家" in said.reply and "承办：网格员 张伟" in said.reply

    said = await group.say(f"办结 {n} 已更换新的充电桩", sender="zhangwei")
    assert said.reply == f"工单 #{n} 已办结，已请反映人评价。"
    t = db.ticket(n)
    assert t.status == "resolved" and t.resolved_at is not None
    assert any(f"「满意 {n}」「基本满意 {n}」或「不满意 {n} 原因」" in p for p in db.pushes())

    said = await group.say(f"满意 {n}", sender="zhaomin")
    assert said.reply == f"感谢您的评价（满意）！工单 #{n} 已关闭。"
    t = db.ticket(n)
    assert (t.status, t.rating) == ("closed", "satisfied") and t.closed_at is not None
    evs = db.events(n)
    assert [e.kind for e in evs] == ["opened", "accepted", "progress", "resolved", "rated"]
    assert [(e.old_status, e.new_status) for e in evs[1:]] == [
        ("open", "accepted"), ("accepted", "in_progress"), ("in_progress", "resolved"), ("resolved", "closed")]
    assert [e.actor for e in evs] == ["zhaomin", "zhangwei", "zhangwei", "zhangwei", "zhaomin"]
    assert t.version == 5


async def test_basically_satisfied_also_closes(group, report, db):
    n = await report()
    for text in (f"接单 {n}", f"办结 {n} 修好了"):
        await group.say(text, sender="zhangwei")
    said = await group.say(f"#{n} 基本满意", sender="zhaomin")
    assert "基本满意" in said.reply
    assert (db.ticket(n).status, db.ticket(n).rating) == ("closed", "fair")


async def test_unsatisfied_reopens_with_a_new_deadline_and_tells_the_assignee(group, report, db):
    n = await report()
    for text in (f"接单 {n}", f"办结 {n} 修好了"):
        await group.say(text, sender="zhangwei")
    said = await group.say(f"不满意 {n} 还是充不上电", sender="zhaomin")
    assert f"工单 #{n} 已重新打开" in said.reply and "办理时限" in said.reply
    t = db.ticket(n)
    assert (t.status, t.rating, t.resolved_at) == ("reopened", "unsatisfied", None)
    assert any("不满意" in d and "还是充不上电" in d and f"#{n}" in d for d in db.dms("zhangwei"))
    # the worker picks it up again
    said = await group.say(f"进度 {n} 再去看了，是线路问题", sender="zhangwei")
    assert db.ticket(n).status == "in_progress"
    await group.say(f"办结 {n} 线路已修复", sender="zhangwei")
    await group.say(f"满意 {n}", sender="zhaomin")
    assert db.kinds(n) == ["opened", "accepted", "resolved", "reopened", "progress", "resolved", "rated"]


async def test_transfer_to_a_department_which_reports_progress(group, report, db):
    n = await report("5号楼门口路灯坏了")
    await group.say(f"接单 {n}", sender="zhangwei")
    said = await group.say(f"转派 {n} 城管执法中队", sender="zhangwei")
    assert said.reply == f"已将工单 #{n} 转派给 城管执法中队，已通知对方和反映人。"
    t = db.ticket(n)
    assert (t.status, t.department, t.assignee) == ("in_progress", "城管执法中队", "zhangwei")
    assert any(f"#{n}" in d and "城管执法中队" in d for d in db.dms("sunli"))
    assert any(f"#{n} 已转交 城管执法中队 办理" in p for p in db.pushes())
    # the department's member adds progress; the resident sees who
    said = await group.say(f"进度 {n} 已安排明晚维修", sender="sunli")
    assert "已记录" in said.reply
    assert any("部门人员 孙力" in p and "已安排明晚维修" in p for p in db.pushes())
    said = await group.say(f"进度 {n}", sender="zhaomin")
    assert "承办：城管执法中队" in said.reply


async def test_transfer_to_a_person_by_name_or_userid(group, report, db):
    n = await report()
    said = await group.say(f"转派 {n} 赵磊", sender="zhangwei")
    assert "网格员 赵磊" in said.reply
    assert (db.ticket(n).assignee, db.ticket(n).status) == ("zhaolei", "in_progress")
    assert db.dms("zhaolei")
    # the new assignee may act; hand it back by userid
    said = await group.say(f"转派 {n} zhangwei", sender="zhaolei")
    assert db.ticket(n).assignee == "zhangwei"


async def test_transfer_to_unknown_target_lists_the_departments(group, report, db):
    n = await report()
    before = db.snapshot(n)
    said = await group.say(f"转派 {n} 消防队", sender="zhangwei")
    assert "没有找到「消防队」" in said.reply and "城管执法中队" in said.reply
    said = await group.say(f"转派 {n} 赵敏", sender="zhangwei")  # a resident
    assert "不是工作人员" in said.reply
    said = await group.say(f"转派 {n}", sender="zhangwei")
    assert "请写上内容" in said.reply
    assert db.snapshot(n) == before


async def test_escalation_goes_grid_community_street_and_no_further(group, report, db):
    n = await report("7号楼门口的垃圾堆了一个月")
    said = await group.say(f"上报 {n} 涉及物业合同，网格协调不了", sender="zhangwei")
    assert "上报至社区（鹊华理想社区）" in said.reply and "书记 王芳" in said.reply
    t = db.ticket(n)
    assert (t.status, t.level) == ("escalated", "community")
    assert any("【上报】" in d and "涉及物业合同" in d for d in db.dms("wangfang"))
    assert any("已上报至社区（鹊华理想社区）" in p for p in db.pushes())

    # the grid worker may no longer pass it further up: the community decides
    said = await group.say(f"上报 {n}", sender="zhangwei")
    assert "由社区决定" in said.reply
    assert db.ticket(n).level == "community"

    said = await group.say(f"上报 {n} 需要街道协调执法", sender="wangfang")
    assert "上报至街道（大桥街道）" in said.reply and "书记 陈静" in said.reply
    assert (db.ticket(n).status, db.ticket(n).level) == ("escalated", "street")
    assert any("【上报】" in d for d in db.dms("chenjing"))

    said = await group.say(f"上报 {n}", sender="chenjing")
    assert said.reply == f"工单 #{n} 已在街道层级，不能再上报。"
    # the street takes it and resolves it
    said = await group.say(f"接单 {n}", sender="chenjing")
    assert db.ticket(n).assignee == "chenjing" and db.ticket(n).status == "accepted"
    await group.say(f"办结 {n} 已协调物业清运", sender="chenjing")
    assert db.ticket(n).status == "resolved"
    assert db.kinds(n) == ["opened", "escalated", "escalated", "accepted", "resolved"]


async def test_a_dispute_goes_to_the_mediator_and_comes_back_for_a_follow_up_visit(group, report, db):
    n = await report("6号楼两家邻居因为漏水吵起来了 需要调解")
    assert db.ticket(n).category == "dispute"
    await group.say(f"接单 {n}", sender="zhangwei")
    said = await group.say(f"调解 {n}", sender="zhangwei")
    assert said.reply == f"已将工单 #{n} 转交调解员 李秀英，已通知对方。"
    assert db.ticket(n).status == "in_mediation"
    assert any(f"调解结果 {n}" in d for d in db.dms("lixiuying"))
    # a dispute is private: the group reads a neutral line, never the parties' matter
    assert db.pushes()[-1] == f"工单 #{n} 已转交调解。当事人可私信机器人发「进度 {n}」查看详情。"

    said = await group.say(f"调解结果 {n} 双方同意楼上修管道、赔偿500元", sender="lixiuying")
    assert "已请网格员 张伟回访" in said.reply
    assert db.pushes()[-1] == f"工单 #{n} 已调解结束。当事人可私信机器人发「进度 {n}」查看详情。"
    assert not any("赔偿500元" in p for p in db.pushes())
    said = await group.say(f"进度 {n}", sender="zhaomin")  # the reporter, asking in the group
    assert "赔偿500元" not in said.reply and "私信" in said.reply
    said = await group.say(f"进度 {n}", sender="zhaomin", chat_id=None)  # 1:1 with the bot
    assert "赔偿500元" in said.reply
    assert db.ticket(n).status == "in_progress"
    assert any(f"回访 {n}" in d and "赔偿500元" in d for d in db.dms("zhangwei"))

    said = await group.say(f"回访 {n} 管道已修好，赔偿已付，双方满意", sender="zhangwei")
    assert said.reply == f"已记录工单 #{n} 的回访情况。"
    assert db.ticket(n).status == "in_progress"
    await group.say(f"办结 {n} 调解完成", sender="lixiuying")
    assert db.ticket(n).status == "resolved"
    assert db.kinds(n) == ["opened", "accepted", "mediation", "mediation_result", "follow_up", "resolved"]


async def test_mediation_needs_a_mediator_in_the_grid(fenghuang, db):
    said = await fenghuang.say("8号楼两家为停车位吵架 需要调解", sender="r1")
    n = said.ticket
    await fenghuang.say(f"接单 {n}", sender="liuqiang")
    before = db.snapshot(n)
    said = await fenghuang.say(f"调解 {n}", sender="liuqiang")
    assert "还没有登记调解员" in said.reply and f"上报 {n}" in said.reply
    assert db.snapshot(n) == before


async def test_recategorise_by_name_or_code_is_stored_as_a_correction(group, report, db):
    n = await report("9号楼充电桩旁边乱停车")
    assert db.ticket(n).category == "charging"
    said = await group.say(f"改类 {n} 停车管理", sender="zhangwei")
    assert "由「充电设施」改为「停车管理」" in said.reply and "办理时限" in said.reply
    t = db.ticket(n)
    assert t.category == "parking"
    assert (t.due_at - t.created_at).total_seconds() == 48 * 3600
    [c] = db.corrections()
    assert (c.ticket_id, c.old_category, c.new_category, c.actor) == (n, "charging", "parking", "zhangwei")
    assert c.text == t.text
    said = await group.say(f"改类 {n} environment", sender="zhangwei")
    assert db.ticket(n).category == "environment" and db.count(type(c)) == 2
    said = await group.say(f"改类 {n} 环境卫生与噪音", sender="zhangwei")
    assert "已经是" in said.reply
    said = await group.say(f"改类 {n} 天气", sender="zhangwei")
    assert "没有「天气」这个类别" in said.reply and "停车管理" in said.reply
    assert db.count(type(c)) == 2
    assert db.kinds(n) == ["opened", "recategorised", "recategorised"]


async def test_merge_marks_a_duplicate_and_its_reporters_follow_the_original(group, report, db):
    first = await report("2号楼充电桩坏了", sender="zhaomin")
    dup = await report("二号楼的充电桩也坏了", sender="neighbour")  # no place recognised: a new ticket
    assert dup != first
    said = await group.say(f"合并 {dup} 到 {first}", sender="zhangwei")
    assert said.reply == f"已将工单 #{dup} 合并到 #{first}，1 位反映人改为关注 #{first}。"
    t = db.ticket(dup)
    assert (t.status, t.duplicate_of) == ("duplicate", first)
    assert db.followers(first) == {"zhaomin", "bridge:neighbour"}  # the bridge's own id space
    assert any(f"#{dup} 与工单 #{first} 是同一件事" in p for p in db.pushes())
    said = await group.say("我的工单", sender="neighbour")
    assert f"#{first}" in said.reply
    assert db.kinds(first)[-1] == "merged_in"
    # a duplicate points to the original
    said = await group.say(f"接单 {dup}", sender="zhangwei")
    assert f"已合并到 #{first}" in said.reply


async def test_merge_refusals(group, report, db):
    a = await report("2号楼充电桩坏了")
    b = await report("4号楼充电桩坏了")
    before = db.snapshot(a), db.snapshot(b)
    assert "不能合并到它自己" in (await group.say(f"合并 {a} 到 {a}", sender="zhangwei")).reply
    assert "例如「合并 12 到 9」" in (await group.say(f"合并 {a}", sender="zhangwei")).reply
    assert "没有找到工单 #999" in (await group.say(f"合并 {a} 到 999", sender="zhangwei")).reply
    db.set(b, status="closed")
    assert "不能作为合并目标" in (await group.say(f"合并 {a} 到 {b}", sender="zhangwei")).reply
    assert db.snapshot(a) == before[0]


async def test_the_full_history_is_in_tickets_show(group, report, db, config, capsys):
    import json

    from bot.cli import main
    from tests.commands.test_cli_org import write_config

    n = await report()
    await group.say(f"接单 {n}", sender="zhangwei")
    await group.say(f"进度 {n} 在修", sender="zhangwei")
    path = write_config(config)
    assert main(["--config", str(path), "tickets", "show", str(n), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [(e["kind"], e["actor"], e["old_status"], e["new_status"], e["text"]) for e in shown["events"]] == [
        ("opened", "zhaomin", None, "open", "3号楼充电桩坏了"),
        ("accepted", "zhangwei", "open", "accepted", None),
        ("progress", "zhangwei", "accepted", "in_progress", "在修"),
    ]
    assert db.ticket(n).version == 3
    assert isinstance(db.ticket(n), Ticket)


async def test_department_staff_who_got_a_ticket_by_transfer_resolve_it(group, report, db):
    n = await report()
    await group.say(f"接单 {n}", sender="zhangwei")
    await group.say(f"转派 {n} 城管执法中队", sender="zhangwei")
    said = await group.say(f"办结 {n} 已清理完毕", sender="sunli")
    assert said.reply == f"工单 #{n} 已办结，已请反映人评价。"
    assert db.ticket(n).status == "resolved"


async def test_department_staff_send_a_transferred_ticket_back_with_a_reason(group, report, db):
    n = await report()
    await group.say(f"接单 {n}", sender="zhangwei")
    await group.say(f"转派 {n} 城管执法中队", sender="zhangwei")
    said = await group.say(f"退单 {n}", sender="sunli")
    assert "退单" in said.reply and "例如" in said.reply  # the reason is required
    said = await group.say(f"退单 {n} 不属于城管职责，应由物业处理", sender="sunli")
    assert said.reply == f"已将工单 #{n} 退回网格员 张伟重新派单，已通知对方。"
    t = db.ticket(n)  # back with the one who transferred it, to dispatch again (转派) or take up (接单)
    assert (t.status, t.department, t.assignee) == ("open", None, "zhangwei")
    assert any("【退单】" in d and "不属于城管职责" in d for d in db.dms("zhangwei"))
    said = await group.say(f"办结 {n} 好了", sender="sunli")  # no longer theirs
    assert "没有转派给您所在的部门" in said.reply
    said = await group.say(f"退单 {n} 再退", sender="zhaolei")  # a worker who does not hold it
    assert said.reply == f"工单 #{n} 不是由您主办的，不能退单：只有接单人或转派到的人、部门可以退单。"
    assert db.ticket(n).status == "open"


async def test_the_lead_sends_back_a_ticket_nobody_transferred_open_for_the_grid_to_dispatch_again(
        group, report, db):
    n = await report()
    await group.say(f"接单 {n}", sender="zhangwei")
    said = await group.say(f"退单 {n} 本人下周出差，请另派", sender="zhangwei")
    assert said.reply.startswith(f"已将工单 #{n} 退回网格重新派单")
    t = db.ticket(n)
    assert (t.status, t.department, t.assignee) == ("open", None, None)
    assert any("【退单】" in d and "本人下周出差" in d for d in db.dms("wangfang"))  # the community secretary
    back = db.events(n)[-1]
    assert (back.kind, back.actor, back.text, back.changes["assignee"]) == (
        "sent_back", "zhangwei", "本人下周出差，请另派", ["zhangwei", None])


async def test_a_resident_withdraws_and_amends_their_own_ticket_staff_fix_the_place(group, report, db):
    n = await report("3号楼充电桩坏了")
    said = await group.say(f"补充 {n} 在5号楼，靠近东门", sender="zhaomin")
    assert said.reply.startswith(f"已为工单 #{n} 补充内容，位置已按补充内容更新")
    t = db.ticket(n)
    assert t.text.endswith("补充：在5号楼，靠近东门") and t.location.startswith("b5")
    said = await group.say(f"改位置 {n} 7号楼楼道", sender="zhangwei")
    assert said.reply == f"工单 #{n} 的位置已更正为：7号楼楼道。"
    said = await group.say(f"撤回 {n}", sender="plusone")  # not theirs
    assert "反映人" in said.reply and db.ticket(n).status == "open"
    said = await group.say(f"撤回 {n}", sender="zhaomin")
    assert said.reply.startswith(f"工单 #{n} 已撤回") and db.ticket(n).status == "closed"
    said = await group.say(f"撤回 {n}", sender="zhaomin")  # finished: cannot be withdrawn again
    assert "不能撤回" in said.reply
    said = await group.say(f"进度 {n}", sender="zhangwei")  # "已关闭" alone would read as solved
    assert "已关闭" in said.reply and "反映人已撤回，不再办理" in said.reply


async def test_my_tickets_shows_resolved_ones_awaiting_the_rating_with_text_and_place(group, report):
    n = await report("3号楼充电桩坏了，电话13812345678")
    for text in (f"接单 {n}", f"办结 {n} 修好了"):
        await group.say(text, sender="zhangwei")
    said = await group.say("我的工单", sender="zhaomin")
    assert f"#{n} 充电设施 · 已办结，待评价 · 3号楼 · 3号楼充电桩坏了，电话138****5678" in said.reply
    assert f"「满意 {n}」" in said.reply


async def test_a_bare_rating_rates_the_reporters_one_ticket_waiting_for_it(group, report, db):
    n = await report("3号楼充电桩坏了")
    said = await group.say("满意", sender="zhaomin")
    assert said.reply == "您没有待评价的工单。评价某一件请写工单号，例如「满意 12」。"
    for text in (f"接单 {n}", f"办结 {n} 修好了"):
        await group.say(text, sender="zhangwei")
    said = await group.say("满意", sender="lisi")  # not theirs: nothing of lisi's waits for a rating
    assert "没有待评价" in said.reply and db.ticket(n).status == "resolved"
    said = await group.say("满意", sender="zhaomin")
    assert said.reply == f"感谢您的评价（满意）！工单 #{n} 已关闭。"
    assert (db.ticket(n).status, db.ticket(n).rating) == ("closed", "satisfied")


async def test_a_bare_rating_with_several_waiting_asks_which(group, report, db):
    a = await report("3号楼充电桩坏了")
    b = await report("5号楼门口路灯坏了")
    for n in (a, b):
        for text in (f"接单 {n}", f"办结 {n} 修好了"):
            await group.say(text, sender="zhangwei")
    said = await group.say("不满意 还是不行", sender="zhaomin")
    assert said.reply == f"您有 2 件工单待评价（#{a}、#{b}），请写工单号，例如「不满意 {a}」。"
    assert db.ticket(a).status == db.ticket(b).status == "resolved"  # nothing rated
