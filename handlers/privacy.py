"""Who may see what: a ticket's readers, private categories, and masking of phone and ID-card numbers.

- A resident sees the tickets they reported or follow; staff see what their role and scope cover
  (``permissions.in_scope``: their grids, community, street, department, or a ticket assigned to them).
- Disputes and legal matters are private: the group gets a neutral line ("#12 已调解结束"), the details go
  to the parties and staff in a 1:1 chat.
- Mobile phone and ID-card numbers are masked wherever many read (group replies and pushes, digests, logs,
  the command line); staff in scope see them in full in a 1:1 chat's ticket detail (and `tickets show --reveal`).
"""

from __future__ import annotations

import re

from sqlmodel import Session

PRIVATE_CATEGORIES = frozenset({"dispute", "legal"})

# an 18-character resident ID (17 digits + digit or X), a mainland mobile number (11 digits from 1[3-9])
_ID_CARD = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?![\dXx])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask(text: str | None) -> str | None:
    """"13812345678" → "138****5678"; "370102199001011234" → "370102********1234"."""
    if not text:
        return text
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


def is_private(category: str) -> bool:
    return category in PRIVATE_CATEGORIES


NEUTRAL_BY_EVENT = {
    "accepted": "已接单",
    "progress": "有新进展",
    "transferred": "已转交办理",
    "escalated": "已上报协调",
    "mediation": "已转交调解",
    "mediation_result": "已调解结束",
    "follow_up": "已回访",
    "merged": "已合并办理",
}


def neutral_line(session: Session, ticket_id: int, status: str) -> str:
    """What the group reads about a private ticket's change: the step, never its content."""
    from handlers import texts
    from storage.tickets import latest_event

    ev = latest_event(session, ticket_id)
    if ev is not None and ev.kind == "resolved":
        return (f"工单 #{ticket_id} 已办结。请反映人回复「满意 {ticket_id}」「基本满意 {ticket_id}」"
                f"或「不满意 {ticket_id} 原因」评价。")
    step = NEUTRAL_BY_EVENT.get(ev.kind if ev else "", texts.STATUS_NAMES.get(status, status))
    return f"工单 #{ticket_id} {step}。当事人可私信机器人发「进度 {ticket_id}」查看详情。"
