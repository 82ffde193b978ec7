"""Organisation page and import, announcements: what secretaries and the admin do there, and the refusals."""

from __future__ import annotations

import io

from aiohttp import FormData
from openpyxl import Workbook
from sqlmodel import Session, select

from storage.models import Announcement, Member, Outbox
from tests.console.conftest import logged_in


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(token: str, data: bytes, name: str = "members.xlsx") -> FormData:
    form = FormData()
    form.add_field("_csrf", token)
    form.add_field("step", "preview")
    form.add_field("file", data, filename=name,
                   content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return form


async def test_the_org_page_shows_the_tree_people_chats_and_lists(console, group):
    await group.say("添加资源 爱心药店 13800001111 24小时", sender="zhangwei")
    await logged_in(console, "wangfang")
    page = await (await console.get("/console/org")).text()
    for word in ("大桥街道", "鹊华理想社区", "第一网格", "张伟", "bridge-quehua-1", "爱心药店"):
        assert word in page
    assert "凤凰理想社区" not in page  # another street's community is not hers
    assert "导入" not in page.split("<h1>组织架构</h1>")[1].split("<section class=\"card org\">")[0]


async def test_an_xlsx_import_is_previewed_then_applied(console, engine):
    token = await logged_in(console, "admin")
    data = xlsx([["账号", "姓名", "角色", "网格", "电话"], ["wangwu", "王五", "网格员", "quehua-1", "13900002222"]])
    resp = await console.post("/console/org/import", data=upload(token, data))
    page = await resp.text()
    assert resp.status == 200 and "预览：1 名成员" in page and "王五" in page
    with Session(engine) as s:
        assert s.get(Member, "wangwu") is None  # a preview writes nothing
    text = page.split('<textarea name="text" hidden>')[1].split("</textarea>")[0]
    import html

    resp = await console.post("/console/org/import", data={"_csrf": token, "step": "apply", "name": "members.xlsx",
                                                           "text": html.unescape(text)})
    assert "已导入：1 名成员" in await resp.text()
    with Session(engine) as s:
        assert s.get(Member, "wangwu").role == "grid_worker"


async def test_an_import_with_bad_rows_names_each_row_and_writes_nothing(console, engine):
    token = await logged_in(console, "admin")
    data = xlsx([["账号", "姓名", "角色", "网格"], ["a1", "甲", "网格员", "no-such-grid"], ["a2", "乙", "厨师", ""]])
    resp = await console.post("/console/org/import", data=upload(token, data))
    page = await resp.text()
    assert resp.status == 400 and "第 2 行" in page and "第 3 行" in page and "未知网格" in page
    with Session(engine) as s:
        assert s.get(Member, "a1") is None and s.get(Member, "a2") is None
    resp = await console.post("/console/org/import", data=upload(token, b"not a spreadsheet"))
    assert resp.status == 400 and "无法读取 Excel 文件" in await resp.text()


async def test_only_the_admin_imports(console):
    token = await logged_in(console, "wangfang")
    resp = await console.post("/console/org/import", data=upload(token, xlsx([["账号"]])))
    assert resp.status == 403


async def test_a_secretary_announces_to_her_community_and_sees_each_groups_delivery(console, engine):
    token = await logged_in(console, "wangfang")
    page = await (await console.get("/console/announcements")).text()
    assert "community:quehua" in page and "community:fenghuang" not in page
    resp = await console.post("/console/announcements", data={"_csrf": token, "target": "community:quehua",
                                                              "text": "本周六上午社区开展义诊活动"})
    page = await resp.text()
    assert "已写入发送队列：1 条消息" in page
    assert "已发送" in page and "发送中" in page  # the announcement, and its group's row waiting in the outbox
    with Session(engine) as s:
        row = s.exec(select(Outbox).where(Outbox.target_kind == "robot")).one()
        assert "义诊" in row.body["content"]


async def test_a_scheduled_announcement_can_be_recalled(console, engine):
    token = await logged_in(console, "wangfang")
    await console.post("/console/announcements", data={"_csrf": token, "target": "grid:quehua-1",
                                                       "text": "停水通知", "at": "2099-01-01T09:00"})
    with Session(engine) as s:
        ann = s.exec(select(Announcement)).one()
        assert ann.status == "scheduled"
    resp = await console.post(f"/console/announcements/{ann.id}/recall", data={"_csrf": token})
    assert "已撤回" in await resp.text()
    with Session(engine) as s:
        assert s.get(Announcement, ann.id).status == "cancelled"


async def test_announcing_outside_ones_scope_or_role_is_refused(console):
    token = await logged_in(console, "wangfang")
    resp = await console.post("/console/announcements", data={"_csrf": token, "target": "community:fenghuang",
                                                              "text": "x"})
    assert resp.status == 403
    await logged_in(console, "zhangwei")
    assert (await console.get("/console/announcements")).status == 403
