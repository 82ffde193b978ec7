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
