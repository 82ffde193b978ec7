"""Texts of the operational side: rate limits, failed pushes, anonymised records (Chinese, as every user word)."""

from __future__ import annotations

RATE_LIMITED = "您发送消息过于频繁，请稍后再发。稍后的消息暂不处理。"
CHAT_RATE_LIMITED = "本群消息过于频繁，机器人暂停处理片刻，请稍后再发。"
ANONYMISED = "（已匿名）"


def pushes_failed(n: int) -> str:
    """The digest's line about pushes that were given up in the period."""
    return f"⚠ 本期有{n}条推送发送失败（系统级统计，管理员可用 gridbot outbox failed 查看原因）。"
