"""Words of the web console (bot/console) that are not already the chat's (handlers/texts.py)."""

from __future__ import annotations

EVENT_NAMES = {
    "opened": "登记", "joined": "+1 关注", "accepted": "接单", "progress": "进展", "transferred": "转派",
    "escalated": "上报", "mediation": "转交调解", "mediation_result": "调解结果", "follow_up": "回访",
    "resolved": "办结", "rated": "评价", "reopened": "不满意，重办", "merged": "合并", "merged_in": "合并进来",
    "recategorised": "改类", "reminded": "提醒", "sent_back": "退单", "withdrawn": "撤回", "amended": "补充",
    "relocated": "改位置", "paused": "挂起", "resumed": "解挂", "supervised": "督办", "chased": "催办",
    "helper_added": "协办", "escalated_after_rating": "不满意，上报", "auto_closed": "自动关闭",
    "sla_warned": "时限提醒", "sla_escalated": "超时上报",
}

RATE_NAMES = {"response": "响应率", "resolution": "解决率", "satisfaction": "满意率"}

EXPORT_HEADER = ("工单号", "类别", "紧急", "状态", "网格", "层级", "内容", "地点", "反映人", "承办人", "部门",
                 "反映时间", "办理时限", "办结时间", "评价")


def place_words(key: str) -> str:
    """A ticket's stored place key ("b3|u2|p:车棚") in words ("车棚3号楼2单元"), as the chat reply wrote it."""
    parts = dict(p.split(":", 1) if ":" in p else (p[:1], p[1:]) for p in key.split("|") if p)
    out = [parts.get("p", "")]
    if parts.get("b"):
        out.append(f"{parts['b']}号楼")
    if parts.get("u"):
        out.append(f"{parts['u']}单元")
    if parts.get("r"):
        out.append(f"{parts['r']}室")
    if parts.get("g") and parts["g"] not in out:
        out.append(parts["g"])
    return "".join(out)
