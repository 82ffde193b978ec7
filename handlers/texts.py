"""Every word a user reads, in one place so the wording is reviewed together."""

from __future__ import annotations

from datetime import datetime

from handlers.settings import TZ

CATEGORY_NAMES = {
    "charging": "充电设施",
    "waste": "垃圾清运",
    "parking": "停车管理",
    "roads": "道路与公共设施",
    "transport": "公交出行",
    "utilities": "水电气暖",
    "property": "物业服务",
    "environment": "环境卫生与噪音",
    "safety": "安全隐患",
    "dispute": "矛盾纠纷",
    "legal": "法律咨询",
    "policy": "政策咨询与民生服务",
    "other": "其他诉求",
    "none": "非诉求",
}

STATUS_NAMES = {
    "open": "待受理",
    "accepted": "已接单",
    "in_progress": "办理中",
    "in_mediation": "调解中",
    "escalated": "已上报",
    "resolved": "已办结，待评价",
    "closed": "已关闭",
    "reopened": "重新办理",
    "duplicate": "已合并",
}

LEVEL_NAMES = {"grid": "网格", "community": "社区", "street": "街道"}

ROLE_NAMES = {
    "resident": "居民",
    "grid_worker": "网格员",
    "mediator": "调解员",
    "department": "部门人员",
    "secretary": "书记",
    "admin": "管理员",
}


def when(dt: datetime) -> str:
    """Local (Asia/Shanghai) time as people write it: 11月28日 19:30."""
    local = dt.astimezone(TZ)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def ticket_opened(
    *, number: int, category: str, urgent: bool, handler: str, grid: str, due: datetime, place: str
) -> str:
    lines = []
    if urgent:
        lines.append("【紧急】已标记为紧急诉求，已通知网格员立即处置！如有危险请先撤离并拨打 119/120/110。")
    lines.append(f"已收到您的诉求，工单号 #{number}")
    lines.append(f"类别：{CATEGORY_NAMES.get(category, category)}")
    if place:
        lines.append(f"位置：{place}")
    lines.append(f"承办：{handler}（{grid}）")
    lines.append(f"办理时限：{when(due)} 前")
    lines.append(f"查询进度请发「进度 {number}」，查看我的诉求请发「我的工单」。")
    return "\n".join(lines)


def joined_duplicate(*, number: int, category: str, status: str, added: bool) -> str:
    head = "同一问题已有工单" if added else "您已在关注这张工单"
    return (
        f"{head} #{number}（{CATEGORY_NAMES.get(category, category)}，{STATUS_NAMES.get(status, status)}），"
        f"已为您 +1 并加入关注，办理进展会在群里告知。查询请发「进度 {number}」。"
    )


def progress(*, number: int, category: str, status: str, due: datetime, note: str | None, at: datetime | None,
             handler: str | None) -> str:
    lines = [f"工单 #{number}（{CATEGORY_NAMES.get(category, category)}）当前状态：{STATUS_NAMES.get(status, status)}"]
    if handler:
        lines.append(f"承办：{handler}")
    if note:
        lines.append(f"最新进展（{when(at) if at else ''}）：{note}")
    if status not in ("resolved", "closed", "duplicate"):
        lines.append(f"办理时限：{when(due)} 前")
    return "\n".join(lines)


def my_tickets(rows: list[tuple[int, str, str]]) -> str:
    if not rows:
        return "您目前没有办理中的工单。"
    lines = [f"您有 {len(rows)} 件办理中的诉求："]
    lines += [f"#{n} {CATEGORY_NAMES.get(c, c)} · {STATUS_NAMES.get(s, s)}" for n, c, s in rows]
    lines.append("查询某一件请发「进度 工单号」。")
    return "\n".join(lines)


UNBOUND_CHAT = (
    "您好，我是网格通机器人。本群还没有绑定网格，暂时无法受理诉求。"
    "请网格员或管理员在群里发送「绑定网格 网格编号」完成绑定，或联系社区工作人员。"
)
UNREGISTERED_SENDER = (
    "您好，我是网格通机器人。您还没有登记所属网格，暂时无法受理诉求。"
    "请联系您所在网格的网格员登记，或在所在网格的群里发消息反映问题。"
)
NO_SUCH_TICKET = "没有找到工单 #{number}，请核对工单号。"
NOT_YOUR_TICKET = "工单 #{number} 不在您可查看的范围内。"
UNKNOWN_COMMAND = "没有「{word}」这个命令。发送「帮助」查看可用命令。"
INTERNAL_ERROR = "系统繁忙，您的消息已记录，请稍后再试。"


def clarify(guess: str, options: list[str]) -> str:
    names = "、".join(CATEGORY_NAMES[o] for o in options)
    return (
        f"收到。想确认一下：您反映的是「{CATEGORY_NAMES.get(guess, guess)}」方面的问题吗？"
        f"请回复「是」，或直接说明类别（如 {names}），也可以补充一句具体情况。"
    )


CLARIFY_DROPPED = "好的，已取消，这条消息不作为诉求登记。"
