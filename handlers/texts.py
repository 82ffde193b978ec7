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


# --- pushes: announcements, recurring events, reminders, digests --------------------------------------------------

ANNOUNCE_HEAD = "【通知】"
ANNOUNCE_USAGE = (
    "用法：群发通知 对象 内容。对象可写 grid:网格编号、community:社区编号、street:街道编号、role:角色，"
    "可写多个，例如「群发通知 community:quehua 本周五上午九点书记茶摊，欢迎参加」。"
)
ANNOUNCE_NO_TARGET = "没有找到可送达的对象：{targets}。请核对编号，或确认网格群已配置群机器人或应用群聊。"


def announce_text(text: str) -> str:
    return text if text.startswith(("【", "#")) else ANNOUNCE_HEAD + text


def announce_done(*, number: int, reached: int, scheduled: str | None = None) -> str:
    if scheduled:
        return f"通知 #{number} 已安排，将于 {scheduled} 发送。取消请用「gridbot announce cancel {number}」。"
    return f"通知 #{number} 已发出，共 {reached} 个群或人员。"


def event_text(*, name: str, when_text: str, place: str, text: str | None) -> str:
    if text:
        return f"【{name}】{text}"
    where = f"在{place}" if place else ""
    return f"【{name}】{when_text}{where}开展，欢迎居民朋友前来反映诉求、咨询政策。"


def remind_due_soon(*, number: int, category: str, due: datetime, text: str) -> str:
    return (f"【办理提醒】工单 #{number}（{CATEGORY_NAMES.get(category, category)}）将于 {when(due)} 到期，"
            f"请尽快办理并反馈进展。内容：{text[:60]}")


def remind_overdue(*, number: int, category: str, due: datetime, text: str) -> str:
    return (f"【超期提醒】工单 #{number}（{CATEGORY_NAMES.get(category, category)}）已于 {when(due)} 超过办理时限，"
            f"请立即办理并反馈进展。内容：{text[:60]}")


def remind_escalated(*, number: int, category: str, due: datetime, grid: str, handler: str | None,
                     hours: float) -> str:
    who = f"，承办：{handler}" if handler else ""
    return (f"【超期上报】{grid}工单 #{number}（{CATEGORY_NAMES.get(category, category)}）"
            f"已超过办理时限 {hours:.0f} 小时（时限 {when(due)}{who}），请督办。")


DIGEST_KIND_NAMES = {"daily": "每日诉求简报", "weekly": "每周诉求简报", "now": "诉求简报"}


def _pct(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"


def digest(*, kind: str, scope_name: str, start: datetime, end: datetime, new: int, new_resolved: int,
           new_open: int, resolved: int, open_now: int, overdue: int, rated: int, satisfied: int,
           top: list[tuple[str, int]], oldest: list[tuple[int, str, str, datetime, str]]) -> str:
    """A secretary's digest: "自11月19日以来共收集群众诉求12件，已办结9件，3件正在办理" and the details."""
    s, e = start.astimezone(TZ), end.astimezone(TZ)
    lines = [f"【{scope_name} · {DIGEST_KIND_NAMES.get(kind, '诉求简报')}】{s.month}月{s.day}日—{e.month}月{e.day}日"]
    if new:
        lines.append(f"自{s.month}月{s.day}日以来共收集群众诉求{new}件，已办结{new_resolved}件，{new_open}件正在办理。")
    else:
        lines.append(f"自{s.month}月{s.day}日以来没有新的群众诉求。")
    lines.append(f"期间办结{resolved}件；目前在办{open_now}件，其中超期{overdue}件。")
    lines.append(f"办结率{_pct(new_resolved, new)}，满意率{_pct(satisfied, rated)}（{rated}件已评价）。")
    if top:
        lines.append("诉求较多的类别：" + "、".join(f"{CATEGORY_NAMES.get(c, c)}{n}件" for c, n in top) + "。")
    if oldest:
        lines.append("办理时间最长的未办结诉求：")
        for number, category, status, created, grid in oldest:
            days = max((end - created).days, 0)
            lines.append(f"· #{number} {CATEGORY_NAMES.get(category, category)} · {STATUS_NAMES.get(status, status)}"
                         f" · 已{days}天（{grid}）")
    return "\n".join(lines)


def digest_chart_fallback(rows: list[tuple[str, int]]) -> str:
    if not rows:
        return "本周各类诉求：无。"
    return "本周各类诉求：" + "、".join(f"{CATEGORY_NAMES.get(c, c)}{n}件" for c, n in rows) + "。"
