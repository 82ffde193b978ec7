"""User-facing words added for "every chat turn right": usage hints, who was told, who may see, masking.

Kept beside ``handlers/texts.py`` (same rules: Chinese for people, one place per sentence) so the two grow
without stepping on each other.
"""

from __future__ import annotations

# --- command arguments -------------------------------------------------------------------------------------------

USAGE = {
    "接单": "接单 12",
    "转派": "转派 12 城管执法中队",
    "上报": "上报 12 原因",
    "调解": "调解 12",
    "调解结果": "调解结果 12 双方达成一致",
    "回访": "回访 12 情况",
    "办结": "办结 12 结果",
    "退单": "退单 12 原因",
    "满意": "满意 12",
    "基本满意": "基本满意 12",
    "不满意": "不满意 12 原因",
    "改类": "改类 12 停车管理",
    "改位置": "改位置 12 7号楼楼道",
    "合并": "合并 12 到 9",
    "进度": "进度 12",
    "撤回": "撤回 12",
    "补充": "补充 12 具体情况",
}


def usage(word: str) -> str:
    return USAGE.get(word, f"{word} 12")


def missing_number(word: str) -> str:
    return f"「{word}」要写工单号，例如「{usage(word)}」。"


def bad_number(word: str, token: str) -> str:
    return f"「{token}」不是工单号：工单号只能是数字，例如「{usage(word)}」。"


def number_too_large(number: str) -> str:
    return f"没有找到工单 #{number}，请核对工单号。"


# --- who may act ---------------------------------------------------------------------------------------------------


WITHDRAWN_NOTE = "反映人已撤回，不再办理"


def nothing_to_rate(word: str) -> str:
    return f"您没有待评价的工单。评价某一件请写工单号，例如「{usage(word)}」。"


def which_to_rate(word: str, numbers: list[int]) -> str:
    shown = "、".join(f"#{n}" for n in numbers)
    return f"您有 {len(numbers)} 件工单待评价（{shown}），请写工单号，例如「{word} {numbers[0]}」。"


def follower_cannot_rate(number: int) -> str:
    return f"只有工单 #{number} 的反映人可以评价；办理结果会告诉您，随时可发「进度 {number}」查询。"


def not_lead(number: int) -> str:
    return f"工单 #{number} 不是由您主办的，不能退单：只有接单人或转派到的人、部门可以退单。"


def helper_cannot_send_back(number: int) -> str:
    return f"您是工单 #{number} 的协办人，只有主办人可以退单；可以用「进度 {number} 内容」记录进展。"


def rated_notice(number: int, rating: str) -> str:
    return f"工单 #{number} 反映人已评价「{rating}」，工单已关闭。感谢您的关注。"


def reopened_follower_notice(number: int) -> str:
    return f"工单 #{number} 反映人对办理结果不满意，已重新打开继续办理。"


def sent_back_reply(number: int, to: str | None, told: bool) -> str:
    """``to``: who transferred it and has it back; None: back to the grid, its workers and secretaries asked."""
    if to:
        return f"已将工单 #{number} 退回{to}重新派单{'，已通知对方' if told else ''}。"
    if told:
        return f"已将工单 #{number} 退回网格重新派单，已通知网格员和社区书记。"
    return f"已将工单 #{number} 退回网格重新派单；没有能通知到的网格员或社区书记，请电话联系。"


def sent_back_dm(number: int, by: str, reason: str, text: str) -> str:
    return (f"【退单】工单 #{number} 被{by}退回：{reason}\n诉求：{text}\n"
            f"请重新派单（「转派 {number} 对象」）或接单办理（「接单 {number}」）。")


def escalate_nobody(number: int, level: str, where: str) -> str:
    return (f"{level}（{where or '未登记'}）还没有登记负责人，上报无法通知到任何人。工单 #{number} 仍在原层级办理；"
            f"请先在组织架构中登记负责人，或电话联系。")


# --- the bridge's own id space ---------------------------------------------------------------------------------

LINK_FROM_WECOM = "请用企业微信向机器人发送「绑定 桥接账号」，把该桥接账号关联到您本人；在桥接群里不能自行关联。"
LINK_MEMBERS_ONLY = "只有已登记的工作人员或居民可以关联桥接账号。"
LINK_USAGE = "请写上桥接账号，例如「绑定 wxid_abc123」。"


def link_taken(raw: str) -> str:
    return f"桥接账号「{raw}」已关联到其他人，请联系管理员。"


def linked(raw: str) -> str:
    return f"已将桥接账号「{raw}」关联到您本人，今后该账号在桥接群里的消息按您的身份处理。"


# --- who is told ------------------------------------------------------------------------------------------------


def more_followers(n: int, number: int) -> str:
    return f"\n（另有 {n} 位关注者，可发「进度 {number}」查询）"


REPORTER_NOT_REACHABLE = "反映人所在的群暂时无法推送（推送通道未配置），请当面或电话告知。"


# --- announcements -----------------------------------------------------------------------------------------------


def announce_out_of_scope(target: str) -> str:
    return f"「{target}」不在您负责的范围内，不能向其群发通知。"


def announce_in_past(at) -> str:
    from handlers.texts import when

    return f"发送时间 {when(at)} 已经过去，请改为以后的时间；要立即发送请去掉 --at。"


def group_status(grid: str, via: str, ok: bool) -> str:
    return f"· {grid}（{via}）：{'已排队发送' if ok else '推送通道未配置，无法送达'}"


def group_unreachable(grid: str) -> str:
    return f"· {grid}：没有可推送的群（未配置群机器人、应用群聊或桥接群），未送达"


def people_status(n: int, ok: int) -> str:
    return f"· 人员 {n} 位：{'已排队发送' if ok == n else f'{ok} 位已排队，{n - ok} 位推送通道未配置'}"


def announce_report(number: int, lines: list[str]) -> str:
    return "\n".join([f"通知 #{number} 发送情况：", *lines])


# --- who may see ------------------------------------------------------------------------------------------------

PRIVATE_IN_GROUP = "（涉及当事人隐私，详情请私信机器人查询）"

HELP_ALL = "全部命令请发「帮助 全部」。工单号可写作 12 或 #12。"


# --- withdraw, amend, relocate ---------------------------------------------------------------------------------

AMEND_USAGE = "请写上要补充的内容，例如「补充 {number} 在7号楼楼道，靠近电梯」。"
RELOCATE_USAGE = "请写上正确的位置，例如「改位置 {number} 7号楼楼道」。"


def withdrawn_reply(number: int) -> str:
    return f"工单 #{number} 已撤回，不再办理。如问题仍在，可重新在群里反映。"


def withdrawn_dm(number: int, reason: str) -> str:
    return f"工单 #{number} 已由反映人撤回{('：' + reason) if reason else ''}，无需继续办理。"


def amended_reply(number: int, place_changed: bool) -> str:
    tail = "，位置已按补充内容更新" if place_changed else ""
    return f"已为工单 #{number} 补充内容{tail}，承办人会看到。"


def amended_dm(number: int, text: str) -> str:
    return f"工单 #{number} 反映人补充：{text}"


def no_place(text: str) -> str:
    return f"没有从「{text}」里认出位置，请写成「7号楼楼道」「3号楼2单元」这样。"


def relocated_reply(number: int, place: str) -> str:
    return f"工单 #{number} 的位置已更正为：{place}。"


# --- my tickets -------------------------------------------------------------------------------------------------


def my_tickets(rows: list[tuple[int, str, str, str, str]]) -> str:
    from handlers.texts import CATEGORY_NAMES, STATUS_NAMES

    if not rows:
        return "您目前没有办理中或待评价的工单。"
    lines = [f"您有 {len(rows)} 件诉求在办理或待评价："]
    for n, c, s, place, text in rows:
        where = f" · {place}" if place else ""
        lines.append(f"#{n} {CATEGORY_NAMES.get(c, c)} · {STATUS_NAMES.get(s, s)}{where} · {text}")
        if s == "resolved":
            lines.append(f"   请评价：「满意 {n}」「基本满意 {n}」或「不满意 {n} 原因」")
    lines.append("查询某一件请发「进度 工单号」。")
    return "\n".join(lines)


# --- messages from before a chat was bound --------------------------------------------------------------------

BACKLOG_USAGE = "请写上消息编号，例如「补录 3」（编号见绑定网格时列出的方括号里的数字）。"
BACKLOG_NEEDS_BINDING = "本群还没有绑定网格，请先发「绑定网格 网格编号」。"


def backlog_offer(rows: list[tuple[int, str, str]], more: int) -> str:
    lines = ["", f"绑定前一天内群里有 {len(rows) + max(more, 0)} 条消息像是诉求，尚未登记："]
    for i, who, text in rows:
        from handlers.privacy import mask

        short = text if len(text) <= 30 else text[:29] + "…"
        lines.append(f"[{i}] {who}：{mask(short)}")
    if more > 0:
        lines.append(f"……另有 {more} 条未列出。")
    lines.append("要为其中一条登记工单，请发「补录 编号」，例如「补录 " + str(rows[0][0]) + "」。")
    return "\n".join(lines)


def backlog_missing(number: str) -> str:
    return f"本群没有编号 [{number}] 的未登记消息（可能已登记，或不是绑定前一天内的消息）。"


def backlog_not_request(number: str) -> str:
    return f"消息 [{number}] 看起来不是诉求，没有登记。"


def backlog_taken(number: str, reply: str) -> str:
    return f"已为消息 [{number}] 登记工单：\n{reply}"


# --- the clarifying question ------------------------------------------------------------------------------------


def clarify(text: str, options: list[str]) -> str:
    from handlers.texts import CATEGORY_NAMES

    said = text if len(text) <= 12 else text[:11] + "…"
    choices = "、".join(f"{i} {CATEGORY_NAMES.get(o, o)}" for i, o in enumerate(options, 1))
    return (f"收到「{said}」。想确认一下，您反映的是哪方面的问题：{choices}？"
            f"回复数字或类别即可；是第一种也可回复「是」，也可以补充一句在哪儿、什么情况（如：3号楼电梯坏了）。")
