"""Words of the web console (bot/console) that are not already the chat's (handlers/texts.py)."""

from __future__ import annotations

from handlers.texts import EVENT_NAMES  # noqa: F401  (one table for every timeline, re-exported)

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
