"""Every word of the closed loop (pause, supervision, chasing, hand-back, helpers, rating window, SLA warnings,
rates): a sibling of ``handlers.texts``, by the same rules."""

from __future__ import annotations

from datetime import datetime

from handlers.texts import ACTION_NAMES, CATEGORY_NAMES, LEVEL_NAMES, NEXT_STEP, RATING_NAMES, STATUS_NAMES, when
from handlers.texts import HELP as _HELP

STATUS_NAMES.setdefault("paused", "已挂起")
NEXT_STEP.setdefault("paused", "解挂 {n}")  # 待办: a paused ticket waits for 解挂
RATING_NAMES.setdefault("default_satisfied", "默认满意")
ACTION_NAMES.update({
    "pause": "挂起", "resume": "解挂", "supervise": "督办", "chase": "催办", "send_back": "退单",
    "add_helper": "添加协办", "rate_bad_again": "评价", "auto_close": "关闭",
})

HELP = {
    "挂起": "挂起 12 原因 —— 暂停计时（等待居民、配件、其他单位）",
    "解挂": "解挂 12 —— 恢复办理，时限顺延",
    "督办": "督办 12 意见 [时限 12月10日|3天|2个工作日] —— 书记督办",
    "催办": "催办 12 —— 催促办理（每天一次）",
    "协办": "协办 12 姓名 —— 添加协办人（可记录进展）",
    "评价": "评价 12 1-5 —— 按 1–5 分评价已办结的工单",
}

for _k, _v in HELP.items():
    _HELP.setdefault(_k, _v)

SCORE_HINT = "请回复「评价 {n} 分数」（1–5 分），或「满意 {n}」「基本满意 {n}」「不满意 {n} 原因」。"


def _why(reason: str | None) -> str:
    return f"：{reason}" if reason else ""


# --- pause --------------------------------------------------------------------------------------------------


def paused_reply(number: int, reason: str) -> str:
    return f"工单 #{number} 已挂起（{reason}），计时暂停；恢复办理请发「解挂 {number}」。"


def paused_notice(number: int, reason: str) -> str:
    return f"您反映的工单 #{number} 暂时挂起：{reason}。恢复办理后会告知您新的办理时限。"


def resumed_reply(number: int, due: datetime) -> str:
    return f"工单 #{number} 已恢复办理，办理时限顺延至 {when(due)}。"


def resumed_notice(number: int, due: datetime) -> str:
    return f"您反映的工单 #{number} 已恢复办理，办理时限：{when(due)} 前。"


# --- supervision, chasing -------------------------------------------------------------------------------------


def supervised_reply(number: int, due: datetime | None) -> str:
    tail = f"，新时限 {when(due)}" if due else ""
    return f"已督办工单 #{number}{tail}，已通知承办人。"


def supervised_dm(number: int, category: str, by: str, note: str, due: datetime) -> str:
    return (f"【督办】工单 #{number}（{CATEGORY_NAMES.get(category, category)}）由{by}督办：{note}\n"
            f"办理时限：{when(due)} 前，请优先办理并及时反馈进展。")


def bad_deadline(text: str) -> str:
    return (f"无法识别时限「{text}」。请写作「时限 12月10日」「时限 2026-12-10 18:00」「时限 3天」"
            f"「时限 2个工作日」或「时限 48小时」。")


def deadline_past(text: str) -> str:
    return f"时限「{text}」已经过去，请给一个将来的时间。"


def chased_reply(number: int) -> str:
    return f"已为您催办工单 #{number}，承办人会尽快处理。"


def chase_throttled(number: int, next_at: datetime) -> str:
    return f"工单 #{number} 刚刚已经催办过，承办人已收到提醒。如仍需催办，请在 {when(next_at)} 后再发。"


def not_follower_chase(number: int) -> str:
    return f"只有工单 #{number} 的反映人或关注人可以催办。"


def chased_dm(number: int, category: str, note: str | None, due: datetime) -> str:
    return (f"【催办】工单 #{number}（{CATEGORY_NAMES.get(category, category)}）反映人催促办理{_why(note)}\n"
            f"办理时限：{when(due)} 前。")


# --- hand-over -------------------------------------------------------------------------------------------------


def helpers_added_reply(number: int, names: list[str]) -> str:
    return f"已为工单 #{number} 添加协办：{'、'.join(names)}，已通知对方。"


def helper_dm(number: int, category: str, lead: str, text: str) -> str:
    return (f"【协办】工单 #{number}（{CATEGORY_NAMES.get(category, category)}）由{lead}主办，请您协办：{text}\n"
            f"有进展请发「进度 {number} 内容」。")


def helper_unknown(name: str) -> str:
    return f"没有找到工作人员「{name}」，协办人请写姓名或账号。"


def helper_already(number: int, name: str) -> str:
    return f"{name} 已经是工单 #{number} 的主办或协办人。"


NEED_HELPER = "请写明协办人，例如「协办 12 赵磊」。"


# --- merge -----------------------------------------------------------------------------------------------------


def merged_in_notice(target: int, merged: int) -> str:
    return f"同一问题的工单 #{merged} 已并入您关注的工单 #{target}，一并办理。"


def merged_redirect(merged: int, target: int) -> str:
    return f"工单 #{merged} 已合并到 #{target}，以下是 #{target} 的进展：\n"


# --- rating ----------------------------------------------------------------------------------------------------


def bad_score(number: int) -> str:
    return "无法识别评价。" + SCORE_HINT.format(n=number)


def scored_reply(number: int, score: int, rating: str) -> str:
    return f"感谢您的评价（{score} 分，{RATING_NAMES[rating]}）！工单 #{number} 已关闭。"


def escalated_after_rating_reply(number: int, level: str) -> str:
    return f"已收到您的意见。工单 #{number} 已是第二次不满意，已上报至{LEVEL_NAMES.get(level, level)}，由书记回访。"


def escalated_after_rating_dm(number: int, category: str, reason: str | None, text: str) -> str:
    return (f"【回访】工单 #{number}（{CATEGORY_NAMES.get(category, category)}）办结后反映人再次不满意{_why(reason)}\n"
            f"诉求：{text}\n请回访反映人并督促办理（「回访 {number} 情况」「督办 {number} 意见」）。")


def auto_closed_notice(number: int, as_: str) -> str:
    how = "按默认满意关闭" if as_ == "default_satisfied" else "按未评价关闭"
    return f"工单 #{number} 评价期已过，{how}。如问题仍存在，请重新反映。"


# --- SLA warnings ------------------------------------------------------------------------------------------------

CLOCK_NAMES = {"respond": "响应", "resolve": "办理"}


def sla_warning(number: int, category: str, clock: str, due: datetime, text: str) -> str:
    name = CATEGORY_NAMES.get(category, category)
    return f"【即将超时】工单 #{number}（{name}）{CLOCK_NAMES[clock]}时限 {when(due)}，请尽快处理：{text}"


def sla_escalated(number: int, category: str, clock: str, due: datetime, grid: str, handler: str | None) -> str:
    who = f"，承办：{handler}" if handler else ""
    name = CATEGORY_NAMES.get(category, category)
    return (f"【超时上报】工单 #{number}（{name}，{grid}）已超过{CLOCK_NAMES[clock]}时限（{when(due)}）{who}。"
            f"请督办：「督办 {number} 意见」。")


# --- rates -------------------------------------------------------------------------------------------------------


def pct(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}%" if whole else "—"


def hours(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    h = seconds / 3600
    return f"{h:.1f} 小时" if h < 48 else f"{h / 24:.1f} 天"


def rates_lines(r) -> list[str]:
    """The three rates of a digest or `gridbot stats` (``r`` is a ``storage.rates.Rates``)."""
    return [
        f"响应率 {pct(r.responded_in_time, r.due_to_respond)}"
        f"（按时响应 {r.responded_in_time}/应响应 {r.due_to_respond}）"
        f" · 解决率 {pct(r.resolved, r.due_to_resolve)}（已解决 {r.resolved}/应解决 {r.due_to_resolve}）"
        f" · 满意率 {pct(r.satisfied, r.rated)}（满意 {r.satisfied}/已评价 {r.rated}）",
        f"超时：未按时响应 {r.response_overdue} 件，在办超期 {r.overdue_open} 件；"
        f"响应用时中位 {hours(r.median_response_seconds)}，解决用时中位 {hours(r.median_resolution_seconds)}",
    ]


def supervised_lines(rows: list[tuple[int, str, str, datetime]]) -> list[str]:
    if not rows:
        return []
    lines = ["督办工单："]
    lines += [f"· #{n} {CATEGORY_NAMES.get(c, c)} · {STATUS_NAMES.get(s, s)} · 时限 {when(d)}" for n, c, s, d in rows]
    return lines


def history_line(at: datetime, actor: str, kind: str, change: str, text: str | None) -> str:
    return f"  {when(at)}  {actor:<12} {kind:<22} {change:<28} {text or ''}"
