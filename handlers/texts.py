"""Every word a user reads, in one place so the wording is reviewed together."""

from __future__ import annotations

from datetime import datetime

from handlers.settings import TZ
from nlp import CATEGORIES

CATEGORY_NAMES = CATEGORIES  # the taxonomy's Chinese names, owned by the classifier's rules

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
    *, number: int, category: str, urgent: bool, handler: str, grid: str, due: datetime, place: str,
    worker_told: bool = True,
) -> str:
    lines = []
    if urgent:
        told = "已通知网格员立即处置！" if worker_told else "请立即联系网格员！"
        lines.append(f"【紧急】已标记为紧急诉求，{told}如有危险请先撤离并拨打 119/120/110。")
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


# --- staff commands: roles, life cycle, escalation, mediation (工单办理) ---------------------------------------

# The order 「帮助 全部」 lists commands in, whatever order their modules happened to be imported in: what
# everyone may use first, then handling a ticket, then the lists, then the closed loop.
HELP_ORDER = ("进度", "我的工单", "帮助", "接单", "转派", "上报", "调解", "调解结果", "回访", "办结", "满意", "改类",
              "合并", "待办", "绑定网格", "撤回", "改位置", "群发通知", "资源", "服务", "需求", "添加资源", "删除清单",
              "附件", "挂起", "解挂", "督办", "催办", "退单", "协办", "评价", "公告")

HELP = {
    "进度+": "进度 12 内容 —— 添加办理进展，反映人会在群里看到",
    "接单": "接单 12 —— 接单，由我承办",
    "转派": "转派 12 部门或人员 —— 转交部门或工作人员办理",
    "上报": "上报 12 原因 —— 上报上一级（网格→社区→街道）",
    "调解": "调解 12 —— 转交本网格调解员调解",
    "调解结果": "调解结果 12 内容 —— 记录调解结果，请网格员回访",
    "回访": "回访 12 内容 —— 记录回访情况",
    "办结": "办结 12 结果 —— 办结工单，请反映人评价",
    "退单": "退单 12 原因 —— 主办的工单不归本人/本部门办理，退回派单人（无人转派则退回网格重新派单）",
    "满意": "满意 12 / 基本满意 12 / 不满意 12 原因 —— 评价已办结的工单",
    "改类": "改类 12 类别 —— 更正工单类别（如：改类 12 停车管理）",
    "改位置": "改位置 12 位置 —— 更正工单位置（如：改位置 12 7号楼楼道）",
    "撤回": "撤回 12 / 补充 12 内容 —— 撤回自己反映的诉求，或补充、更正内容和位置",
    "合并": "合并 12 到 9 —— 12 与 9 是同一件事，合并到 9",
    "待办": "待办 —— 我负责范围内未办结的工单，超时的在前",
    "绑定网格": "绑定网格 网格编号 —— 把本群绑定到网格（解绑请发「解绑网格」）",
    "资源": "资源 关键词 —— 查询本网格资源清单（如：资源 药店）",
    "服务": "服务 关键词 —— 查询本网格服务清单",
    "需求": "需求 关键词 —— 查询本网格需求清单",
    "添加资源": "添加资源 名称 联系方式 说明 —— 登记资源（添加服务、添加需求同理）",
    "删除清单": "删除清单 编号 —— 删除一条清单记录",
}

ACTION_NAMES = {
    "accept": "接单",
    "note": "添加进展",
    "transfer": "转派",
    "escalate": "上报",
    "mediate": "转交调解",
    "mediated": "记录调解结果",
    "follow_up": "回访",
    "resolve": "办结",
    "rate_ok": "评价",
    "rate_bad": "评价",
    "merge": "合并",
    "recategorise": "改类",
    "send_back": "退单",
    "withdraw": "撤回",
    "amend": "补充",
    "relocate": "改位置",
}

RATING_NAMES = {"satisfied": "满意", "fair": "基本满意", "unsatisfied": "不满意"}


def role_only(word: str, who: str) -> str:
    return f"「{word}」只有{who}可以使用。"


def out_of_scope(number: int, where: str) -> str:
    return f"工单 #{number} 属于{where}，不在您负责的范围内，不能办理。"


def grid_out_of_scope(where: str) -> str:
    return f"{where}不在您负责的范围内。"


def not_department(number: int, department: str | None) -> str:
    return f"工单 #{number} 没有转派给您所在的部门（{department or '未登记部门'}），不能办理。"


def not_follower(number: int) -> str:
    return f"只有工单 #{number} 的反映人可以评价。"


def level_held(number: int, level: str) -> str:
    where = LEVEL_NAMES.get(level, level)
    return f"工单 #{number} 已上报至{where}，是否继续上报由{where}决定。"


def invalid_transition(*, number: int, status: str, action: str, duplicate_of: int | None = None) -> str:
    text = f"工单 #{number} 当前状态为「{STATUS_NAMES.get(status, status)}」，不能{ACTION_NAMES.get(action, action)}。"
    if status == "duplicate" and duplicate_of:
        return text + f"它已合并到 #{duplicate_of}，请对 #{duplicate_of} 操作。"
    if action in ("rate_ok", "rate_bad"):
        return text + "工单办结后才能评价。"
    if action == "mediated":
        return text + f"只有调解中的工单可以记录调解结果，先发「调解 {number}」。"
    if status == "open":
        return text + f"请先发「接单 {number}」。"
    if status in ("resolved", "closed"):
        return text + "如问题仍未解决，请反映人回复「不满意 工单号 原因」重新办理。"
    if status == "accepted" and action == "accept":
        return text + "已有人接单。"
    return text


def conflict(number: int) -> str:
    return f"工单 #{number} 刚刚被其他人更新，请先发「进度 {number}」查看最新状态再操作。"


def need_text(example: str) -> str:
    return f"请写上内容，例如「{example}」。"


def staff_name(role: str, name: str) -> str:
    return f"{ROLE_NAMES.get(role, '')} {name}".strip()


# replies to the staff member who acted, and pushes to followers / staff
def accepted_reply(number: int, due: datetime, told: bool = True) -> str:
    tell = "已告知反映人" if told else "反映人暂时无法收到推送（推送通道未配置），请另行告知"
    return f"已接单 #{number}，办理时限：{when(due)} 前。{tell}；有进展请发「进度 {number} 内容」。"


def accepted_notice(number: int, who: str, due: datetime) -> str:
    return f"您反映的工单 #{number} 已由{who}接单，办理时限：{when(due)} 前。"


def note_reply(number: int, told: bool = True) -> str:
    tell = "反映人会在群里看到" if told else "反映人暂时无法收到推送（推送通道未配置），请另行告知"
    return f"已记录工单 #{number} 的进展，{tell}。"


def note_notice(number: int, who: str, text: str) -> str:
    return f"工单 #{number} 有新进展（{who}）：{text}"


def transfer_unknown(target: str, departments: list[str]) -> str:
    names = "、".join(departments) if departments else "（暂无登记的部门）"
    return f"没有找到「{target}」。可转派的部门：{names}；转派给个人请写用户名或姓名。"


def transfer_ambiguous(target: str, ids: list[str]) -> str:
    return f"有多位工作人员叫「{target}」，请改用用户名：{'、'.join(ids)}。"


def transfer_resident(target: str) -> str:
    return f"「{target}」不是工作人员，不能转派。"


def transferred_reply(number: int, to: str, told_them: bool = True, told_reporter: bool = True) -> str:
    told = [w for w, ok in (("对方", told_them), ("反映人", told_reporter)) if ok]
    missed = [w for w, ok in (("对方", told_them), ("反映人", told_reporter)) if not ok]
    tail = f"已通知{'和'.join(told)}。" if told else ""
    if missed:
        tail += f"{'和'.join(missed)}暂时无法收到推送（推送通道未配置），请另行告知。"
    return f"已将工单 #{number} 转派给 {to}，{tail}"


def transferred_notice(number: int, to: str) -> str:
    return f"您反映的工单 #{number} 已转交 {to} 办理。"


def transferred_dm(number: int, category: str, to: str, text: str, by: str, due: datetime) -> str:
    return (f"工单 #{number}（{CATEGORY_NAMES.get(category, category)}）已由{by}转派给{to}：{text}\n"
            f"办理时限：{when(due)} 前。有进展请发「进度 {number} 内容」。")


def top_level(number: int) -> str:
    return f"工单 #{number} 已在街道层级，不能再上报。"


def escalated_reply(number: int, level: str, where: str, told: list[str], reached: bool = True) -> str:
    who = "、".join(told) if told else "（该层级暂无登记的负责人，请电话联系）"
    if not reached:
        return (f"已将工单 #{number} 上报至{LEVEL_NAMES[level]}（{where}）。"
                f"负责人（{who}）暂时无法收到推送（推送通道未配置），请电话联系。")
    return f"已将工单 #{number} 上报至{LEVEL_NAMES[level]}（{where}），已通知：{who}。"


def escalated_notice(number: int, level: str, where: str) -> str:
    return f"您反映的工单 #{number} 已上报至{LEVEL_NAMES[level]}（{where}）协调办理。"


def escalated_dm(number: int, category: str, by: str, where: str, reason: str, text: str) -> str:
    why = f"原因：{reason}\n" if reason else ""
    return (f"【上报】工单 #{number}（{CATEGORY_NAMES.get(category, category)}）由{by}上报至{where}。\n{why}"
            f"诉求：{text}\n承办请发「接单 {number}」，转交部门请发「转派 {number} 部门」。")


def no_mediator(number: int) -> str:
    return f"本网格还没有登记调解员，可发「上报 {number} 需要调解」请社区协调。"


def mediate_reply(number: int, mediator: str, told: bool = True) -> str:
    tail = "已通知对方。" if told else "对方暂时无法收到推送（推送通道未配置），请另行告知。"
    return f"已将工单 #{number} 转交调解员 {mediator}，{tail}"


def mediate_notice(number: int, mediator: str) -> str:
    return f"您反映的工单 #{number} 已转交调解员 {mediator} 调解。"


def mediate_dm(number: int, text: str, by: str) -> str:
    return (f"【调解】工单 #{number} 由{by}转交您调解：{text}\n"
            f"调解后请发「调解结果 {number} 内容」。")


def mediated_reply(number: int, told: str | None) -> str:
    tail = f"已请{told}回访。" if told else "本网格暂无网格员，请安排回访。"
    return f"已记录工单 #{number} 的调解结果，{tail}"


def mediated_notice(number: int, text: str) -> str:
    return f"工单 #{number} 调解已有结果：{text}"


def mediated_dm(number: int, text: str) -> str:
    return f"工单 #{number} 调解结果：{text}\n请回访当事人，回访后发「回访 {number} 情况」。"


def follow_up_reply(number: int) -> str:
    return f"已记录工单 #{number} 的回访情况。"


def follow_up_notice(number: int, text: str) -> str:
    return f"工单 #{number} 回访记录：{text}"


def resolved_reply(number: int, told: bool = True) -> str:
    if not told:
        return (f"工单 #{number} 已办结。反映人暂时无法收到推送（推送通道未配置），"
                f"请告知反映人回复「满意 {number}」等评价。")
    return f"工单 #{number} 已办结，已请反映人评价。"


def resolved_notice(number: int, text: str) -> str:
    return (f"您反映的工单 #{number} 已办结：{text}\n"
            f"请您评价：回复「满意 {number}」「基本满意 {number}」或「不满意 {number} 原因」。")


def rated_reply(number: int, rating: str) -> str:
    return f"感谢您的评价（{RATING_NAMES[rating]}）！工单 #{number} 已关闭。"


def reopened_reply(number: int, due: datetime) -> str:
    return f"已收到您的意见，工单 #{number} 已重新打开继续办理，办理时限：{when(due)} 前。"


def reopened_notice(number: int) -> str:
    return f"工单 #{number} 反映人不满意，已重新打开继续办理。"


def reopened_dm(number: int, reason: str, due: datetime) -> str:
    why = f"：{reason}" if reason else ""
    return (f"工单 #{number} 反映人评价「不满意」{why}\n工单已重新打开，请尽快处理，"
            f"办理时限：{when(due)} 前。")


def unknown_category(word: str) -> str:
    names = "、".join(f"{v}（{k}）" for k, v in CATEGORY_NAMES.items())
    return f"没有「{word}」这个类别。可选：{names}。"


def same_category(number: int, category: str) -> str:
    return f"工单 #{number} 已经是「{CATEGORY_NAMES.get(category, category)}」。"


def recategorised_reply(number: int, old: str, new: str, due: datetime) -> str:
    return (f"工单 #{number} 已由「{CATEGORY_NAMES.get(old, old)}」改为「{CATEGORY_NAMES.get(new, new)}」，"
            f"办理时限：{when(due)} 前。已记录，供完善自动分类。")


MERGE_USAGE = "请写明合并到哪一张，例如「合并 12 到 9」。"


def merge_self(number: int) -> str:
    return f"工单 #{number} 不能合并到它自己。"


def merge_target_done(target: int, status: str) -> str:
    return (f"工单 #{target} 当前状态为「{STATUS_NAMES.get(status, status)}」，不能作为合并目标；"
            f"问题仍存在请单独办理。")


def merged_reply(number: int, target: int, moved: int) -> str:
    return f"已将工单 #{number} 合并到 #{target}，{moved} 位反映人改为关注 #{target}。"


def merged_notice(number: int, target: int) -> str:
    return (f"您反映的工单 #{number} 与工单 #{target} 是同一件事，已合并办理。"
            f"后续进展请看 #{target}（发「进度 {target}」查询）。")


def todo(rows: list[tuple[int, str, str, bool, datetime, bool]], where: str, more: int) -> str:
    if not rows:
        return f"{where}目前没有待办工单。"
    lines = [f"{where}待办工单 {len(rows) + more} 件（超时的在前）："]
    for n, category, status, urgent, due, overdue in rows:
        flags = ("【超时】" if overdue else "") + ("【紧急】" if urgent else "")
        lines.append(f"#{n} {flags}{CATEGORY_NAMES.get(category, category)} · {STATUS_NAMES.get(status, status)}"
                     f" · 时限 {when(due)} · 下一步「{NEXT_STEP.get(status, '进度 {n}').format(n=n)}」")
    if more:
        lines.append(f"……另有 {more} 件未列出。")
    lines.append("查看某一件请发「进度 工单号」。")
    return "\n".join(lines)


NEXT_STEP = {"open": "接单 {n}", "escalated": "接单 {n}", "reopened": "进度 {n} 内容", "accepted": "进度 {n} 内容",
             "in_progress": "办结 {n} 结果", "in_mediation": "调解结果 {n} 内容"}
SCOPE_MINE = "您负责的网格"
BIND_NEEDS_GROUP = "请在要绑定的群里发送「绑定网格 网格编号」。"
BIND_USAGE = "请写上网格编号，例如「绑定网格 quehua-1」。"


def unknown_grid(grid_id: str, known: list[str]) -> str:
    return f"没有编号为「{grid_id}」的网格。已登记的网格：{'、'.join(known) or '（无）'}。"


def bound(where: str) -> str:
    return f"本群已绑定到 {where}。群里反映的问题会由该网格受理。"


def already_bound(where: str) -> str:
    return f"本群已经绑定到 {where}。"


def bound_elsewhere(where: str) -> str:
    return f"本群已绑定到 {where}，请先发「解绑网格」再重新绑定。"


NOT_BOUND = "本群还没有绑定网格。"


def unbound(where: str) -> str:
    return f"本群已与 {where} 解除绑定。"


LIST_KINDS = {"need": "需求", "resource": "资源", "service": "服务"}
LIST_NEEDS_GRID = "请在网格群里查询，或先登记所属网格。"


def list_found(kind: str, keyword: str, rows: list[tuple[int, str, str | None, str | None]], more: int) -> str:
    name = LIST_KINDS[kind]
    if not rows:
        what = f"与「{keyword}」相关的" if keyword else ""
        return f"本网格{name}清单里没有{what}记录。"
    head = f"本网格{name}清单" + (f"中与「{keyword}」相关的" if keyword else "") + f"（{len(rows) + more} 条）："
    lines = [head]
    for i, n, contact, detail in rows:
        parts = [f"[{i}] {n}"]
        if contact:
            parts.append(f"联系：{contact}")
        if detail:
            parts.append(detail)
        lines.append(" · ".join(parts))
    if more:
        lines.append(f"……另有 {more} 条，请换个更具体的关键词。")
    return "\n".join(lines)


def list_usage(kind: str) -> str:
    return f"请写上名称，例如「添加{LIST_KINDS[kind]} 益康大药房 0531-88886666 24小时营业」。"


def list_added(kind: str, number: int, name: str) -> str:
    return f"已登记到本网格{LIST_KINDS[kind]}清单：[{number}] {name}。"


LIST_DELETE_USAGE = "请写上清单编号，例如「删除清单 3」（编号见查询结果方括号里的数字）。"


def list_missing(number: int) -> str:
    return f"本网格清单里没有编号 [{number}] 的记录。"


def list_deleted(number: int, name: str) -> str:
    return f"已删除清单记录 [{number}] {name}。"


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


DIGEST_TOP_HEAD = "诉求较多的类别："
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
        lines.append(DIGEST_TOP_HEAD + "、".join(f"{CATEGORY_NAMES.get(c, c)}{n}件" for c, n in top) + "。")
    if oldest:
        lines.append("办理时间最长的未办结诉求：")
        for number, category, status, created, grid in oldest:
            days = max((end - created).days, 0)
            lines.append(f"· #{number} {CATEGORY_NAMES.get(category, category)} · {STATUS_NAMES.get(status, status)}"
                         f" · {f'已{days}天' if days else '不足1天'}（{grid}）")
    return "\n".join(lines)


def digest_chart_fallback(rows: list[tuple[str, int]]) -> str:
    if not rows:
        return "本周各类诉求：无。"
    return "本周各类诉求：" + "、".join(f"{CATEGORY_NAMES.get(c, c)}{n}件" for c, n in rows) + "。"


# What each ticket event is called where people read a timeline (CLI, console).
EVENT_NAMES = {
    "opened": "登记", "plus_one": "+1", "accepted": "接单", "progress": "进展", "transferred": "转派",
    "escalated": "上报", "mediation": "转交调解", "mediation_result": "调解结果", "follow_up": "回访",
    "resolved": "办结", "rated": "评价", "reopened": "重新办理", "merged": "合并", "merged_in": "并入",
    "recategorised": "改类", "sent_back": "退单", "withdrawn": "撤回", "amended": "补充", "relocated": "改位置",
    "paused": "挂起", "resumed": "解挂", "supervised": "督办", "chased": "催办", "helper_added": "协办",
    "escalated_after_rating": "不满意，上报", "auto_closed": "自动关闭", "sla_warned": "时限提醒",
    "sla_escalated": "超时上报", "joined": "+1 关注", "reminded": "提醒",
}
